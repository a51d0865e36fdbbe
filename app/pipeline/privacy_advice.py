"""How much privacy a face of a given width leaves room for, under the shipped accept rule: the
single source of every "face width <-> privacy parameter" figure (a watched camera's advice in
GET /cameras/<name> and the web UI, the Analyse page's hint, docs/recognition.md's tables, the
reason a confirmed face is refused).

A face is named only while its blur relative to its width stays within `AcceptRule.max_blur` and
it is at least `min_face_px` wide (app/pipeline/matching.py); beyond, it is unrecognisable.
"""

from __future__ import annotations

import math

from app.pipeline.matching import AcceptRule, kernel_for_sigma, relative_blur

MAX_FACE_PX = 4096  # widths searched by `smallest_face`


def largest_privacy(face_px: float, rule: AcceptRule, limit: int) -> int | None:
    """The largest privacy parameter, at most `limit` (an odd kernel, or 0 for no blur), at which
    a face `face_px` wide can still be named; None when it cannot be named even unblurred."""
    if not rule.recognisable(0.0, face_px):
        return None
    widest = rule.max_blur * face_px  # the largest sigma the rule allows this face
    kernel = limit if not math.isfinite(widest) else min(limit, kernel_for_sigma(widest) + 2)
    kernel -= 1 - kernel % 2  # kernels are odd
    while kernel >= 3 and not rule.recognisable(relative_blur(kernel, face_px), face_px):
        kernel -= 2
    return kernel if kernel >= 3 else 0


def smallest_face(kernel: int, rule: AcceptRule) -> int | None:
    """The narrowest face (whole pixels) that can still be named at privacy parameter `kernel`:
    the inverse of `largest_privacy`. None beyond MAX_FACE_PX."""
    blur = kernel if kernel >= 3 else 0  # 0 and 1 both mean no blur
    for face_px in range(1, MAX_FACE_PX + 1):
        if largest_privacy(face_px, rule, blur) == blur:
            return face_px
    return None
