"""Exponential backoff with jitter, for whatever reconnects: buses and cameras."""

from __future__ import annotations

import random


class Backoff:
    """Exponential delays from `first` to `maximum` seconds, each shortened by up to half at
    random so that many clients do not come back at the same instant."""

    def __init__(self, first: float, maximum: float) -> None:
        self._first, self._max, self._next = first, maximum, first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._max, self._next * 2)
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self._first
