"""The privacy parameters offered to people: the levels the web UI's Analyse page lists and
docs/recognition.md gives the narrowest named face for, and the one default wherever none is
given (the web UI's forms, `python -m app recognize`, a camera added or configured without one).

Why 17: docs/recognition.md, "The default privacy parameter"; tests/unit/test_privacy_default.py
derives it from the shipped accept rule, so a refitted rule that moves it fails there. Callers
that pass a privacy parameter (every HTTP analysis route, the SIFIS bus) always get their own.
"""

PRIVACY_CHOICES = (0, 9, 17, 25, 35, 51)
DEFAULT_PRIVACY_PARAMETER = 17
