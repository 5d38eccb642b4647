"""Imports every package's models so that Alembic sees the whole schema.

Only migrations import this module; packages never import each other through it.
"""

from __future__ import annotations

import weibao.kb.models  # noqa: F401
from weibao.core.db import Base

metadata = Base.metadata
