"""Column types that mask patient data on every write, whoever the writer is.

A free-text column is declared with one of these types instead of String/Text/JSON.
The value is masked twice over, so that no writer can bypass it:

- when an attribute of a mapped object is set (constructor, assignment), so the object
  in memory — which is what a handler returns right after a write — already holds the
  masked text;
- when the value is bound to a statement (ORM flush, Core insert/update, bulk writes),
  so a writer that never builds an object is masked too.

Masking is idempotent (placeholders hold no digits), so the second pass changes nothing.
Hospital-specific record-number patterns and the vendor's public phones come from the
module defaults of `weibao.core.privacy` (set by `privacy.configure(settings)` at start).
`tests/core/test_masking.py` lists every string column of every table: a new one fails
that test until it is declared masked or listed as structured (ids, codes, enums).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, event
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator

from weibao.core.privacy import mask_pii


def mask_text(value: str) -> str:
    """The text with patient data replaced by placeholders."""
    return mask_pii(value).text if value else value


def mask_value(value: Any) -> Any:
    """Masks every string inside a JSON-like value (dict keys are left alone)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_value(v) for v in value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


class MaskedString(TypeDecorator[str]):
    """A VARCHAR of free text: masked on write."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return mask_text(value) if value is not None else None


class MaskedText(TypeDecorator[str]):
    """A TEXT of free text: masked on write."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return mask_text(value) if value is not None else None


class MaskedJSON(TypeDecorator[Any]):
    """JSON holding free text somewhere inside (fix steps, event details): masked on write."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: object) -> Any:
        return mask_value(value)


MASKED_TYPES = (MaskedString, MaskedText, MaskedJSON)


def is_masked(column_type: object) -> bool:
    return isinstance(column_type, MASKED_TYPES)


def _mask_on_set(target: object, value: Any, oldvalue: Any, initiator: object) -> Any:
    return mask_value(value)


@event.listens_for(Mapper, "mapper_configured")
def _mask_attributes(mapper: Mapper[Any], class_: type) -> None:
    # Runs once per mapped class, when SQLAlchemy configures it.
    for attr in mapper.column_attrs:
        if any(is_masked(column.type) for column in attr.columns):
            event.listen(getattr(class_, attr.key), "set", _mask_on_set, retval=True)
