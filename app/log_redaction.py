"""Credentials never reach a log: a filter on every handler and logger the service configures
(waitress's too) rewrites each record before it is written.

Secrets travel in URLs: a camera's `user:password@` and a stream's `?token=`, both part of an
ad-hoc camera request's path, which waitress logs when the client leaves early. So, by pattern,
whatever the logger: the userinfo of any `scheme://user:password@host` and the value of every
`name=value` pair whose name mentions a password, token, key, secret, auth or credential are
replaced by `***`, in the message, its arguments, a traceback and a stack trace alike.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
HIDDEN = "***"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")
_SECRET_PAIR = re.compile(
    r"(?i)(?<![\w.-])([\w.-]*(?:pass|pwd|token|key|secret|auth|credential)[\w.-]*=)[^&;#\s]*"
)
# loggers that may be given handlers of their own; their records are filtered before any handler
LOGGERS = ("", "waitress", "waitress.queue")


def redact(text: str) -> str:
    return _SECRET_PAIR.sub(rf"\g<1>{HIDDEN}", _USERINFO.sub(rf"\g<1>{HIDDEN}@", text))


class RedactCredentials(logging.Filter):
    """Never drops a record: rewrites its message and traceback without credentials."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: the handler reports it
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr as `serve` and `worker` do, through the filter."""
    logging.basicConfig(level=level, format=FORMAT)
    redactor = RedactCredentials()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addFilter(redactor)
        for handler in logger.handlers:
            handler.addFilter(redactor)
