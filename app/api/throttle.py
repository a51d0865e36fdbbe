"""Guessing the API key is throttled per client address. Each wrong `X-API-Key` and each failed
UI login costs the client one of BURST tries, which come back one every REFILL_S; a client out
of tries is answered `429 too_many_failures` with `Retry-After`, its key not even compared (so
a right guess would go unnoticed). Right keys cost nothing. Failures are logged with the
address, never with the value tried.

At about 500 guesses a second before, an attacker now gets BURST and then one every REFILL_S.
The address is the connection's peer (waitress ignores forwarding headers): behind a reverse
proxy every client shares the proxy's address, and so its tries.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

BURST = 10
REFILL_S = 6.0
MAX_CLIENTS = 10_000  # the longest-quiet client is forgotten when one more fails


@dataclass
class _Tries:
    left: float
    at: float


class FailureThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Tries] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may now."""
        with self._lock:
            tries = self._current(client)
        return 0 if tries.left >= 1 else math.ceil((1 - tries.left) * REFILL_S)

    def failed(self, client: str, what: str) -> None:
        """Count a failure of `client` (`what` failed, for the log)."""
        with self._lock:
            tries = self._current(client)
            tries.left -= 1
            self._clients[client] = tries
            self._clients.move_to_end(client)
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        log.warning("%s from %s (%d tries left)", what, client, max(0, int(tries.left)))
        if tries.left < 1:
            log.warning("throttled %s: one more try every %g s", client, REFILL_S)

    def _current(self, client: str) -> _Tries:
        now = self._clock()
        tries = self._clients.get(client, _Tries(BURST, now))
        return _Tries(min(BURST, tries.left + (now - tries.at) / REFILL_S), now)
