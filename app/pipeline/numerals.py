"""Numbers written in requests (privacy parameter, camera device index): ASCII decimals only.

Python's `int()` accepts surrounding spaces and full-width, Arabic-Indic or mathematical-bold
digits, and `str.isdigit()` also says yes to a superscript two, which `int()` then refuses with a
ValueError. A request's number is never adjusted, so it must be written exactly `0` or
`[1-9][0-9]*` in ASCII, without sign, spaces or leading zeros.
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,17}")  # at most 18 digits: no huge-integer parsing


def plain_decimal(text: str) -> int | None:
    """The value of `text` when it is a plain ASCII decimal of at most 18 digits, else None."""
    return int(text) if _DECIMAL.fullmatch(text) else None
