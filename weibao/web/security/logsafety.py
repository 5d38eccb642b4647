"""Keeps patient data and ticket or chat text out of the application logs.

Two layers: access-log lines lose their query strings (searches and chat messages
travel there) and show the path decoded and masked (percent-encoding would hide a name
or a number from the masks), and every log record of the process has its message,
string arguments and traceback masked by `mask_pii` when it is created — a safety net,
not a licence to log free text.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any
from urllib.parse import unquote

from weibao.core.privacy import mask_pii

_installed = False
# A URL's query string (it carries search and chat text, percent-encoded past the masks).
_QUERY_STRING = re.compile(r"\?[^\s\"'#=]*=[^\s\"'#]*")


# Control characters (a decoded %0A would forge a log line), lone surrogates, NUL.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def scrub(text: str) -> str:
    """Drops query strings, then masks PII."""
    return mask_pii(_QUERY_STRING.sub("?…", text)).text


def log_path(path: str) -> str:
    """A request path fit for a log line: no query string, percent-decoded so that the
    masks see names and numbers, unprintable characters escaped, PII masked."""
    path = unquote(path.split("?", 1)[0], errors="replace")
    path = _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", path)
    return scrub(path)


def _masked_traceback(exc_info: Any) -> str:
    # Exception messages carry values (a SQL parameter, a title): mask the text once
    # here; formatters reuse exc_text instead of formatting the exception again.
    return scrub("".join(traceback.format_exception(*exc_info)).rstrip("\n"))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, int | float | bool | bytes):
        return value
    # Objects such as URLs are formatted with %s; keep them unless they carry PII.
    text = str(value)
    cleaned = scrub(text)
    return value if cleaned == text else cleaned


def install_pii_record_factory() -> None:
    """Masks PII in every log record at creation; safe to call more than once."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg = _mask(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_mask(a) for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: _mask(v) for k, v in record.args.items()}
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = _masked_traceback(record.exc_info)
            if record.stack_info:
                record.stack_info = scrub(record.stack_info)
        except Exception:  # a log call must never fail because of the mask
            record.msg, record.args = "[log record withheld: masking failed]", ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class DropQueryString(logging.Filter):
    """Uvicorn access-log lines (args[2] is the percent-encoded path and query): the
    query string is removed, the path decoded and masked (see `log_path`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], log_path(args[2]), *args[3:])
        return True


def install_log_safety() -> None:
    """Installs both layers."""
    install_pii_record_factory()
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in access.filters):
        access.addFilter(DropQueryString())
