"""Imports every package's models so that Alembic sees the whole schema.

Only migrations import this module; packages never import each other through it.
"""

from __future__ import annotations

import weibao.core.accounts
import weibao.core.app_secrets
import weibao.core.audit
import weibao.core.rate_counters
import weibao.kb.models
import weibao.routing.models
import weibao.web.chat.models  # noqa: F401
from weibao.core.db import Base

metadata = Base.metadata
