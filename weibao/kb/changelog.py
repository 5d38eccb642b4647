"""The index change log: one `IndexChange` row per written document, tailed by seq.

Writers append in the same transaction as the chunks (`log_change`). Each process keeps
a `ChangeCursor`: the seq its index has applied, and the seqs it skipped. On PostgreSQL a
sequence number is taken at insert and becomes visible at commit, so seq 41 can appear
after seq 42 has been read; a skipped seq is looked for again until it appears or
`GAP_TTL` seconds pass (a rolled-back transaction leaves a gap for ever). Applying a
change loads the document's current chunks, so applying one twice is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.kb.models import IndexChange

DocKey = tuple[str, str]
GAP_TTL = 30.0  # seconds a skipped seq is looked for again
MAX_GAPS = 1000
BATCH = 5000


def log_change(session: Session, kind: str, doc_id: str) -> None:
    session.add(IndexChange(doc_kind=kind, doc_id=doc_id))


def log_changes(session: Session, keys: Iterable[DocKey]) -> None:
    session.add_all([IndexChange(doc_kind=k, doc_id=i) for k, i in keys])


def max_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(IndexChange.seq))) or 0)


@dataclass(slots=True)
class ChangeCursor:
    applied: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # seq -> when it was first skipped

    def safe_seq(self) -> int:
        """The seq below which nothing can still appear: what a snapshot may record."""
        return min(self.applied, min(self.gaps) - 1) if self.gaps else self.applied

    def read(self, session: Session, top: int | None = None) -> tuple[set[DocKey], int]:
        """(documents changed since the cursor, the seq they bring it to); one batch.

        Costs one `SELECT max(seq)` when nothing changed and no gap is pending.
        """
        top = max_seq(session) if top is None else top
        keys: set[DocKey] = set()
        now = time.monotonic()
        if self.gaps:
            self.gaps = {s: t for s, t in self.gaps.items() if now - t < GAP_TTL}
            if self.gaps:
                found = session.execute(
                    select(IndexChange.seq, IndexChange.doc_kind, IndexChange.doc_id).where(
                        IndexChange.seq.in_(list(self.gaps))
                    )
                ).all()
                for seq, kind, doc_id in found:
                    keys.add((kind, doc_id))
                    self.gaps.pop(seq, None)
        if top <= self.applied:
            return keys, self.applied
        rows = session.execute(
            select(IndexChange.seq, IndexChange.doc_kind, IndexChange.doc_id)
            .where(IndexChange.seq > self.applied)
            .order_by(IndexChange.seq)
            .limit(BATCH)
        ).all()
        expected = self.applied + 1
        for seq, kind, doc_id in rows:
            for missing in range(expected, min(seq, expected + MAX_GAPS)):
                if len(self.gaps) < MAX_GAPS:
                    self.gaps[missing] = now
            expected = seq + 1
            keys.add((kind, doc_id))
        return keys, (rows[-1][0] if rows else self.applied)
