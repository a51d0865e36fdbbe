"""How `serve` treats HTTP connections: slow clients and bodies sent without the API key.

Waitress reads a whole request, headers and body, in its event loop before the app sees it, and
closes only connections idle for `channel_timeout`. Two guards the app cannot provide live here:

- A request must arrive within `read_timeout_s` of its first byte, or its connection is closed:
  a client trickling one byte every second is never idle, and would otherwise hold its connection
  (and one of `connection_limit`) for as long as it likes.
- With API_KEY set, the body of a request whose `X-API-Key` header is missing or wrong, and
  that carries no live UI session cookie (app/api/sessions.py), is never read: the app gets the
  request at once with an empty body and answers its JSON 401 (audited as any other), and the
  connection closes after that answer, unread bytes and all. Only the login form's small body
  (at most LOGIN_BODY bytes) is read without either.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
import time
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie

from flask import request
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser

from app.api.auth import key_matches
from app.api.sessions import COOKIE, Sessions

LOGIN_PATH, LOGIN_BODY = "/ui/login", 4096


class _KeyCheckingParser(HTTPRequestParser):
    api_key = b""  # empty: no check
    sessions: Sessions | None = None
    refused = False

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if self._admitted():
            return
        self.refused = True
        self.body_rcv = None  # so the parser completes the request now, body unread
        self.content_length, self.chunked, self.expect_continue = 0, False, False
        self.connection_close = True
        self.headers.update(CONTENT_LENGTH="0", CONNECTION="close")

    def _admitted(self) -> bool:
        given = self.headers.get("X_API_KEY", "").encode()  # as Flask sees it: see auth.py
        if not self.api_key or key_matches(given, self.api_key):
            return True
        if self.path == LOGIN_PATH and self.content_length <= LOGIN_BODY and not self.chunked:
            return True
        try:
            cookie = SimpleCookie(self.headers.get("COOKIE", "")).get(COOKIE)
        except CookieError:
            return False
        return bool(cookie and self.sessions and self.sessions.get(cookie.value))

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        return len(data) if self.refused else consumed  # what follows the headers is dropped


class GuardedChannel(HTTPChannel):
    """A waitress channel with the two guards above; configure with `guarded_channel`."""

    read_timeout_s = 120.0
    _request_started: float | None = None
    _refused = False

    def received(self, data: bytes) -> bool:
        if self._refused:  # the rest of a refused request's body: never buffered
            return False
        now = time.monotonic()
        if self.request is None:
            self._request_started = now
        elif (
            self._request_started is not None and now - self._request_started > self.read_timeout_s
        ):
            self.will_close = True
            return False
        handled = super().received(data)
        self._refused = any(getattr(r, "refused", False) for r in self.requests)
        return handled


def guarded_channel(
    api_key: bytes, read_timeout_s: float, sessions: Sessions | None = None
) -> type[GuardedChannel]:
    """A channel class for waitress's `server.channel_class`, with these settings."""
    parser = type(
        "KeyCheckingParser", (_KeyCheckingParser,), {"api_key": api_key, "sessions": sessions}
    )
    return type(
        "ConfiguredChannel",
        (GuardedChannel,),
        {"parser_class": parser, "read_timeout_s": read_timeout_s},
    )


def client_gone() -> Callable[[], bool]:
    """Whether the current request's client has closed its connection: waitress tells, since it
    reads ahead on the connection (`channel_request_lookahead`); always False elsewhere."""
    return request.environ.get("waitress.client_disconnected", lambda: False)


def unsent_bytes() -> Callable[[], int]:
    """How many bytes of the current response the client has not taken yet: those waitress
    holds, plus those in the connection's kernel send queue (Linux `SIOCOUTQ`, which alone holds
    megabytes on loopback). Without a bound a stream's output piles up there for a client that
    does not read. Always 0 outside waitress."""
    channel = getattr(client_gone(), "__self__", None)  # the bound method's HTTPChannel
    if channel is None:
        return lambda: 0

    def unsent() -> int:
        return channel.total_outbufs_len + _send_queue(channel.socket)

    return unsent


def _send_queue(sock: socket.socket) -> int:
    """Bytes in a socket's kernel send queue, not yet acknowledged by the peer (0 if unknown)."""
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    except (OSError, ValueError, AttributeError):  # closed, or a platform without SIOCOUTQ
        return 0
