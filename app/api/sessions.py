"""Browser sessions for the web UI: with API_KEY set, the login page exchanges the key for a
random session token in an HttpOnly, SameSite=Strict cookie, so the key is never kept by the
browser (no URL, no local storage). Each session has its own CSRF token, which every
state-changing request made with the cookie must send back (header `X-CSRF-Token`, or form field
`csrf_token`). Sessions live in this process's memory: a restart logs everyone out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "pafr_session"
LIFETIME_S = 12 * 3600
MAX_SESSIONS = 256  # the oldest session goes when one more logs in


@dataclass(frozen=True)
class Session:
    token: str
    csrf: str
    expires: float

    @property
    def label(self) -> str:
        """Names the session in the audit log without revealing its token."""
        return hashlib.sha256(self.token.encode()).hexdigest()[:12]

    def csrf_matches(self, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(given.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self) -> Session:
        session = Session(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), self._clock() + LIFETIME_S
        )
        with self._lock:
            self._sessions[session.token] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires <= self._clock():
                del self._sessions[token]
                return None
        return session

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)
