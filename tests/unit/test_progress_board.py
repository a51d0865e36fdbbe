"""The analysis progress board the Analyse page polls: per request ID, bounded, forgetful."""

from __future__ import annotations

from app.progress_board import KEEP_S, MAX_KEPT, AnalysisProgress, ProgressBoard


def test_progress_runs_from_zero_to_finished_and_is_then_forgotten():
    now = [0.0]
    board = ProgressBoard(clock=lambda: now[0])
    report = board.reporter("r1")
    assert board.get("r1") == AnalysisProgress("r1", 0, 0, finished=False)
    report(3, 10)
    assert board.get("r1") == AnalysisProgress("r1", 3, 10, finished=False)
    report(12, 10)  # a video longer than its header said: total follows done
    board.finish("r1")
    assert board.get("r1") == AnalysisProgress("r1", 12, 12, finished=True)
    board.finish("never-started")
    assert board.get("never-started") is None
    now[0] += KEEP_S + 1
    assert board.get("r1") is None


def test_only_the_most_recently_reported_analyses_are_kept():
    board = ProgressBoard()
    first = board.reporter("first")
    for i in range(MAX_KEPT):
        board.reporter(f"r{i}")
    assert board.get("first") is None and board.get(f"r{MAX_KEPT - 1}") is not None
    first(1, 2)  # a report brings it back
    assert board.get("first") == AnalysisProgress("first", 1, 2, finished=False)
