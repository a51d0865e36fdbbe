"""Per-stage timings of an `Analyzer`: seconds spent inside each stage's calls, and how many calls.

The stages are wrapped on the instances the service built, so what is timed is exactly what runs.
Detection runs in the frame-prefetch thread, beside the other stages (app/pipeline/prefetch.py):
stage seconds add up to more than the wall time when the two threads overlap.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from app.pipeline.analyze import Analyzer

# stage -> (the analyzer's attribute holding the stage's object, or "" for itself; its method)
STAGES = {
    "detect": ("detector", "detect"),
    "align": ("aligner", "align"),
    "embed": ("embedder", "embed"),
    "verify": ("verifier", "is_face"),
    "match": ("", "match_embedded"),
}


class StageClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def instrument(self, analyzer: Analyzer) -> StageClock:
        """Time every stage of `analyzer` from now on."""
        for stage, (attribute, method) in STAGES.items():
            owner = getattr(analyzer, attribute) if attribute else analyzer
            setattr(owner, method, self._timed(stage, getattr(owner, method)))
        return self

    def _timed(self, stage: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[stage] += time.perf_counter() - start
                    self.calls[stage] += 1

        return timed

    def report(self) -> dict[str, dict[str, float]]:
        return {s: {"s": self.seconds[s], "calls": self.calls[s]} for s in STAGES}
