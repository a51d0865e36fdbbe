"""The single source of every "face width <-> privacy parameter" figure, against the rule itself,
and the figures the docs show (docs/recognition.md's tables, docs/ui.md's example refusal)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.pipeline.matching import AcceptRule, relative_blur
from app.pipeline.privacy_advice import largest_privacy, smallest_face
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER, PRIVACY_CHOICES
from app.residents.positives import unrecognisable

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


def table(text: str, first_cell: str) -> list[list[str]]:
    """The header and rows of the Markdown table whose header starts with `first_cell`."""
    block = re.search(rf"^\| {re.escape(first_cell)} \|.*?(?=\n[^|])", text, re.S | re.M)
    assert block, f"no table starting with {first_cell!r} in docs/recognition.md"
    lines = [line for line in block.group(0).splitlines() if not line.startswith("|---")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_recognition_md_gives_the_narrowest_face_named_at_each_offered_level():
    header, row = table(DOCS.read_text(), "privacy parameter k")
    kernels = [int(cell.removesuffix(" (default)")) for cell in header[1:]]
    assert kernels == list(PRIVACY_CHOICES)  # the levels the Analyse page offers
    assert [c.endswith("(default)") for c in header[1:]] == [
        k == DEFAULT_PRIVACY_PARAMETER for k in kernels
    ]
    assert row[1:] == [f"{smallest_face(k, RULE)} px" for k in kernels]


def test_recognition_md_gives_the_largest_privacy_for_each_face_width():
    header, row = table(DOCS.read_text(), "face width in the frame")
    widths = [int(cell.removesuffix(" px")) for cell in header[1:]]
    assert len(widths) >= 4
    assert row[1:] == [str(largest_privacy(px, RULE, 51)) for px in widths]


def test_ui_md_quotes_the_refusal_the_rule_gives():
    text = " ".join((DOCS.parent / "ui.md").read_text().split())
    quoted = re.search(
        r"`not added as Alice: (the face is (\d+) px wide: too small for privacy "
        r"(\d+)'s blur .*?\)) \(unrecognisable\)`",
        text,
    )
    assert quoted, "the example refusal is gone from docs/ui.md"
    face_px, privacy = int(quoted.group(2)), int(quoted.group(3))
    assert quoted.group(1) == unrecognisable(face_px, privacy, RULE)


def test_cameras_md_example_advice_is_the_rules():
    text = (DOCS.parent / "cameras.md").read_text()
    example = re.search(r'"median_face_px": (\d+),\s*#?\s*"largest_privacy_parameter": (\d+)', text)
    assert example, "the example advice is gone from docs/cameras.md"
    assert int(example.group(2)) == largest_privacy(int(example.group(1)), RULE, 51)
