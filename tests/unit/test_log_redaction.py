"""The patterns of app/log_redaction.py, and the filter on a record with arguments and a
traceback (the server's own log is checked end to end in tests/e2e/test_log_redaction.py)."""

from __future__ import annotations

import logging

import pytest

from app.log_redaction import RedactCredentials, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rtsp://admin:hunter2@10.0.0.5/s", "rtsp://***@10.0.0.5/s"),
        ("rtsps://u:p@ss@cam/s", "rtsps://***@cam/s"),
        (
            "http://cam/x.mjpg?user=a&password=hunter2&fps=5",
            "http://cam/x.mjpg?user=a&password=***&fps=5",
        ),
        ("/s?access_token=abc.def&x=1", "/s?access_token=***&x=1"),
        ("?api_key=k1;client_secret=s2", "?api_key=***;client_secret=***"),
        ("pwd=1 passwd=2 Auth=3 SECRET=4", "pwd=*** passwd=*** Auth=*** SECRET=***"),
        ("camera porch at 10.0.0.5 answered 401", "camera porch at 10.0.0.5 answered 401"),
    ],
)
def test_credentials_are_redacted_and_the_rest_is_kept(text, expected):
    assert redact(text) == expected


def test_the_filter_rewrites_arguments_and_tracebacks():
    try:
        raise OSError("cannot open rtsp://admin:hunter2@cam/s")
    except OSError as exc:
        record = logging.LogRecord(
            "waitress",
            logging.INFO,
            __file__,
            1,
            "serving %s",
            ("/x?token=t0k",),
            (type(exc), exc, exc.__traceback__),
        )
    assert RedactCredentials().filter(record)
    assert record.getMessage() == "serving /x?token=***"
    assert "hunter2" not in record.exc_text and "rtsp://***@cam/s" in record.exc_text
