"""Keeps patient data and ticket or chat text out of the application logs.

Two layers: access-log lines lose their query strings (searches and chat messages
travel there), and every log record of the process has its message and string
arguments masked by `mask_pii` when it is created — a safety net, not a licence to log
free text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from weibao.core.privacy import mask_pii

_installed = False
# A URL's query string (it carries search and chat text, percent-encoded past the masks).
_QUERY_STRING = re.compile(r"\?[^\s\"'#=]*=[^\s\"'#]*")


def scrub(text: str) -> str:
    """Drops query strings, then masks PII."""
    return mask_pii(_QUERY_STRING.sub("?…", text)).text


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
        except Exception:  # a log call must never fail because of the mask
            record.msg, record.args = "[log record withheld: masking failed]", ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class DropQueryString(logging.Filter):
    """Removes the query string from uvicorn access-log lines (its args[2] is the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], path, *args[3:])
        return True


def install_log_safety() -> None:
    """Installs both layers."""
    install_pii_record_factory()
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in access.filters):
        access.addFilter(DropQueryString())
