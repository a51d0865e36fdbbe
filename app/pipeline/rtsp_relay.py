"""A loopback relay between FFmpeg and an RTSP camera that refuses redirects.

FFmpeg's RTSP client follows a `3xx` answer to whatever host its `Location` names, and has no
option to stop it: a camera on the allowlist could send it anywhere. So FFmpeg talks to this relay
on 127.0.0.1 instead, with RTP interleaved on the same TCP connection (`rtsp_transport;tcp`), and
the relay talks to the camera: it resolves the camera's host once, connects to that address (TLS for
`rtsps`, unverified as FFmpeg's own default) and passes bytes both ways, reading the camera's side
message by message. A `3xx` answer, or a server-sent `REDIRECT` request, closes both connections
before FFmpeg sees it; the watch then fails as a camera that cannot be opened. What the relay
holds is bounded: an RTSP message of at most MAX_HEADER + MAX_BODY bytes, or one interleaved
frame (at most 64 KiB).
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

_STATUS = re.compile(rb"RTSP/\d\.\d (\d{3})")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,9})", re.IGNORECASE)
MAX_HEADER = 64 * 1024  # an RTSP header block longer than this is not a camera's
MAX_BODY = 1024 * 1024  # nor an RTSP body (an SDP) longer than this: what one relay may buffer
_CHUNK = 64 * 1024


class RedirectRefused(Exception):
    """The camera answered a redirect; raised inside the relay only."""


class RtspRelay:
    """Relay one camera URL; `url` is what FFmpeg must open instead. Close it after the watch."""

    def __init__(self, camera_url: str, timeout_s: float) -> None:
        parts = urlsplit(camera_url)
        self._tls = parts.scheme.lower() == "rtsps"
        self._host = parts.hostname or ""
        self._port = parts.port or (322 if self._tls else 554)
        self._timeout_s = timeout_s
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: list[socket.socket] = [self._listener]
        self._lock = threading.Lock()
        self.refused = False  # a redirect was refused
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        netloc += f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.url = urlunsplit(("rtsp", netloc, parts.path, parts.query, ""))
        threading.Thread(target=self._accept, name="rtsp-relay", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self) -> None:
        try:
            found = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
            address = str(found[0][4][0])
        except (OSError, UnicodeError):
            self.close()  # FFmpeg's connection is then refused at once
            return
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            try:
                camera = socket.create_connection((address, self._port), self._timeout_s)
                if self._tls:
                    tls = ssl.create_default_context()
                    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
                    camera = tls.wrap_socket(camera, server_hostname=self._host)
                camera.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, camera]
            threading.Thread(target=self._pump, args=(client, camera), daemon=True).start()
            threading.Thread(target=self._answers, args=(camera, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """FFmpeg's requests to the camera, unchanged."""
        with suppress(OSError):
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        self._hang_up(source, sink)

    def _answers(self, camera: socket.socket, client: socket.socket) -> None:
        """The camera's messages to FFmpeg, each checked before it is passed on."""
        pending = bytearray()
        try:
            while data := camera.recv(_CHUNK):
                pending += data
                while (size := _message_size(pending)) is not None:
                    client.sendall(pending[:size])
                    del pending[:size]
        except RedirectRefused:
            self.refused = True
        except OSError:
            pass
        self._hang_up(camera, client)

    @staticmethod
    def _hang_up(*sockets: socket.socket) -> None:
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _message_size(pending: bytearray) -> int | None:
    """The size of the first whole message in `pending` (interleaved `$` frame or RTSP message),
    None while it is incomplete; RedirectRefused for a redirect, OSError for garbage."""
    if pending[:1] == b"$":
        return 4 + int.from_bytes(pending[2:4], "big") if len(pending) >= 4 else None
    end = pending.find(b"\r\n\r\n")
    if end < 0:
        if len(pending) > MAX_HEADER:
            raise OSError("an RTSP header block without an end")
        return None
    header = bytes(pending[:end])
    status = _STATUS.match(header)
    if (status and status.group(1).startswith(b"3")) or header.startswith(b"REDIRECT "):
        raise RedirectRefused
    length = _CONTENT_LENGTH.search(header)
    body = int(length.group(1)) if length else 0
    if body > MAX_BODY:
        raise OSError("an RTSP body larger than any camera's")
    size = end + 4 + body
    return size if len(pending) >= size else None
