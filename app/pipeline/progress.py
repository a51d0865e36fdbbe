"""How far an analysis is, reported by whatever decodes frames, to whatever runs the analysis."""

from collections.abc import Callable

Progress = Callable[[int, int], None]  # (frames decoded so far, expected frames)
