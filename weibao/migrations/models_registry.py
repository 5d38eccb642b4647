"""Imports every package's models so that Alembic sees the whole schema.

Lives beside the migrations because only they (and the schema tests) need it; packages
never import each other through it.
"""

from __future__ import annotations

# Imported for their side effect: each module adds its tables to Base.metadata.
import weibao.chat.models
import weibao.core.accounts
import weibao.core.app_secrets
import weibao.core.audit
import weibao.core.model_files
import weibao.core.rate_counters
import weibao.estate.models
import weibao.inspections.models
import weibao.kb.authoring_models
import weibao.kb.images
import weibao.kb.models
import weibao.kb.videos
import weibao.notify.models
import weibao.routing.contracts
import weibao.routing.corrections
import weibao.routing.followup_models
import weibao.routing.models
import weibao.service.models
import weibao.training.models  # noqa: F401
from weibao.core.db import Base

metadata = Base.metadata
