"""What the service tells the buses: typed SIFIS values (app/sifis.py), each bus renders them."""

from __future__ import annotations

from dataclasses import dataclass

from app.sifis import ErrorValue, ProgressValue, ResultValue


@dataclass(frozen=True)
class ResultEvent:
    """A finished analysis, or the error answer to a request that could not be analysed."""

    value: ResultValue | ErrorValue


@dataclass(frozen=True)
class ProgressEvent:
    """How far a running analysis has got (`..._Frame_Results` on the DHT)."""

    value: ProgressValue


Event = ResultEvent | ProgressEvent
