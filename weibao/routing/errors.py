"""Errors of the ticket desk, each mapping to one HTTP status and naming the field."""

from __future__ import annotations


class DeskError(Exception):
    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DeskError):
    status_code = 404


class Forbidden(DeskError):
    """The caller may do this kind of thing, but not to this ticket (e.g. not its assignee)."""

    status_code = 403


class Conflict(DeskError):
    status_code = 409


class Invalid(DeskError):
    status_code = 422
