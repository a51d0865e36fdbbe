"""The Review page's rows (app/residents/review.py): the face's relative blur from the event's
privacy parameter and the face's width, the verdict worded for people, the crop only where the
request may see it. The verdict itself is tested with the real models in
tests/integration/test_positives.py."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain import CameraEvent, Nearest
from app.pipeline.matching import blur_sigma
from app.residents.positives import Refusal
from app.residents.review import review_rows
from app.store.events import FaceEmbedding

SMALL = Refusal("unrecognisable", "the face is 62 px wide: too small for privacy 25's blur")


class Verdicts:
    """Positives.verdict's answers, by event id."""

    def __init__(self, refusals: dict[int, Refusal]) -> None:
        self._refusals = refusals

    def verdict(self, event: CameraEvent, face: FaceEmbedding | None) -> Refusal | None:
        return self._refusals.get(event.id)


def test_rows_show_the_relative_blur_the_verdict_and_only_the_crops_allowed():
    best = Nearest("Alice", 0.09, 0.06)
    found = [
        (CameraEvent("unknown", "hall", None, 0.0, None, 25, id=7),
         FaceEmbedding("m", np.ones(3, np.float32), 62, None, best)),
        (CameraEvent("recognized", "hall", "Alice", 0.0, 80, 0, id=8),
         FaceEmbedding("m", np.ones(3, np.float32), 150)),
    ]  # fmt: skip
    small, sharp = review_rows(found, Verdicts({7: SMALL}), {8})
    assert small.blur_percent == pytest.approx(100 * blur_sigma(25) / 62)
    assert (small.face_px, small.nearest, small.crop) == (62, best, False)
    assert small.refused == f"Too small for its blur: will not be kept — {SMALL.message}."
    assert (sharp.blur_percent, sharp.nearest, sharp.crop, sharp.refused) == (0.0, None, True, "")
