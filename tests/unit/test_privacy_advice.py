"""The single source of every "face width <-> privacy parameter" figure, against the rule itself,
and the figures the docs and the web UI show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.pipeline.matching import AcceptRule, relative_blur
from app.pipeline.privacy_advice import largest_privacy, smallest_face

RULE = AcceptRule.load("Dlib")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "recognition.md"


@pytest.mark.parametrize("face_px", [40, 50, 71, 80, 96, 110, 150, 220, 400])
def test_the_largest_privacy_is_the_last_at_which_the_rule_names_the_face(face_px):
    largest = largest_privacy(face_px, RULE, 51)
    assert largest is not None and (largest % 2 == 1 or largest == 0)
    if largest >= 3:
        assert RULE.recognisable(relative_blur(largest, face_px), face_px)
    if largest < 51:
        assert not RULE.recognisable(relative_blur(largest + 2, face_px), face_px)


def test_a_face_too_small_for_any_privacy_and_the_limit():
    assert largest_privacy(RULE.min_face_px - 1, RULE, 51) is None
    assert largest_privacy(RULE.min_face_px, RULE, 51) is not None
    assert largest_privacy(1000, RULE, 51) == 51 and largest_privacy(1000, RULE, 20) == 19


@pytest.mark.parametrize("kernel", [0, 1, 9, 17, 25, 35, 51])
def test_the_smallest_face_is_the_inverse(kernel):
    px = smallest_face(kernel, RULE)
    blur = kernel if kernel >= 3 else 0
    assert largest_privacy(px, RULE, blur) == blur
    assert largest_privacy(px - 1, RULE, blur) != blur


def test_recognition_md_gives_the_functions_figures():
    text = DOCS.read_text()
    thumb = re.search(r"Rule of\s+thumb: .*?(k ≤ 17.*?)\(`smallest_face`", text, re.S)
    assert thumb, "the rule of thumb is gone from docs/recognition.md"
    figures = re.findall(r"k ≤ (\d+) (?:needs )?(\d+) px", thumb.group(1))
    assert len(figures) == 4
    for kernel, px in figures:
        assert int(px) == smallest_face(int(kernel), RULE), (kernel, px)
    advice = re.search(r"\*\*Advice\.\*\*(.*?)Beyond that", text, re.S)
    pairs = re.findall(r"(\d+) px →\s+k ≤ (\d+)", advice.group(1))
    assert len(pairs) == 5
    for px, kernel in pairs:
        assert int(kernel) == largest_privacy(int(px), RULE, 51), (px, kernel)
