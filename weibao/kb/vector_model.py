"""Which embedding model made the vectors stored with the passages (`Chunk.vector`).

The model is recorded in the database (the `app_secrets` row `kb.vector_model`, shared by
every worker), so a process configured with another model, even one of the same
dimension, embeds every passage again instead of mixing the vectors of two models.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from weibao.core.app_secrets import AppSecret
from weibao.kb.models import Chunk

RECORD = "kb.vector_model"


def model_identity(name: str, dimension: int) -> str:
    return f"{name}:{dimension}"[:200]


def recorded_model(session: Session) -> str | None:
    return session.scalar(select(AppSecret.value).where(AppSecret.name == RECORD))


def claim_vectors(session: Session, identity: str) -> int:
    """Makes the stored vectors this model's: when another model made them (or an unknown
    one, before the record existed), they are cleared, to be embedded again on the next
    load. Returns the number of passages cleared; 0 when the record already names it."""
    row = session.get(AppSecret, RECORD)
    if row is not None and row.value == identity:
        return 0
    result = session.execute(
        update(Chunk).where(Chunk.vector.is_not(None)).values(vector=None)
        .execution_options(synchronize_session=False)
    )
    if row is None:
        session.add(AppSecret(name=RECORD, value=identity))
    else:
        row.value = identity
    return int(getattr(result, "rowcount", 0) or 0)
