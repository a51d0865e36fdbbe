"""What the service tells the buses: typed SIFIS values (app/sifis.py), each bus renders them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.domain import CameraEvent
from app.sifis import ErrorValue, ProgressValue, ResultValue


@dataclass(frozen=True)
class ResultEvent:
    """A finished analysis, or the error answer to a request that could not be analysed."""

    value: ResultValue | ErrorValue


@dataclass(frozen=True)
class ProgressEvent:
    """How far a running analysis has got (`..._Frame_Results` on the DHT)."""

    value: ProgressValue


@dataclass(frozen=True)
class WatchEvent:
    """An event of the watched cameras (recognized, left, unknown, ...)."""

    event: CameraEvent


EntityKind = Literal["resident", "camera"]


@dataclass(frozen=True)
class EntityEvent:
    """A resident or watched camera whose Home Assistant entities appear (`present`) or go."""

    kind: EntityKind
    name: str
    present: bool


Event = ResultEvent | ProgressEvent | WatchEvent | EntityEvent
