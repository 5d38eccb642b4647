"""Errors of the ticket desk: the shared domain refusals of `weibao.core.errors`."""

from __future__ import annotations

from weibao.core.errors import Conflict, Forbidden, Invalid, NotFound
from weibao.core.errors import DomainError as DeskError

__all__ = ["Conflict", "DeskError", "Forbidden", "Invalid", "NotFound"]
