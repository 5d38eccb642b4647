"""Schema pieces that several API modules share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field

from weibao.web.security.errors import ErrorOut


class Tagged(BaseModel):
    """What a text is about: taxonomy ids (weibao.graph.taxonomy) of systems and symptoms."""

    systems: list[str]
    symptoms: list[str]


# The database's integer columns hold at most a signed 32-bit number (PostgreSQL INTEGER); a larger id or count
# from a client must be a 422 naming the field, not an OverflowError (SQLite) or DataError (PostgreSQL) 500.
MAX_DB_INT = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
"""A row id in a URL path."""
QueryRowId = Annotated[int, Query(ge=1, le=MAX_DB_INT)]
"""A row id or version number in a query string."""
BodyRowId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
"""A row id in a JSON body."""

# The 404 a route answers for an id or hospital that does not exist, documented so clients (and the schema fuzz)
# expect it.
NO_SUCH: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such record or hospital"}}
