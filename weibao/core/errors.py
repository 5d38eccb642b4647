"""Refusals of the domain services, each mapping to one HTTP status and naming the field.

Shared by every domain package (the ticket desk, authoring, ...) so that the web layer
reads one kind of refusal: `status_code`, `message`, `field` and, for conflicts, `detail`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    """The caller may do this kind of thing, but not to this record (e.g. not its assignee)."""

    status_code = 403


class Conflict(DomainError):
    status_code = 409

    def __init__(self, message: str, field: str | None = None, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message, field)
        self.detail = detail or {}


class Invalid(DomainError):
    status_code = 422
