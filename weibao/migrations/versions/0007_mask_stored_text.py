"""mask patient data in text stored before every free-text column was masked on write

Resolutions, comments, event reasons and details, audit details, article and chunk
text written by earlier versions may hold phone numbers, ID numbers and names. This
rewrites them masked. A chunk whose text changes is written again under a new id, so
that every worker's search index re-embeds it and drops the unmasked passage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from weibao.core.masking import mask_value

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# table -> (primary key, free-text columns, JSON free-text columns)
TEXT_COLUMNS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    'hospitals': ('id', ('name', 'name_en'), ()),
    'users': ('id', ('display_name',), ()),
    'api_tokens': ('id', ('name',), ()),
    'audit_events': ('id', ('target',), ('detail',)),
    'engineers': ('id', ('name',), ()),
    'tickets': ('id', ('reporter_name', 'title', 'description', 'alert_key'), ('triage',)),
    'ticket_events': ('id', ('reason',), ('detail',)),
    'ticket_comments': ('id', ('body',), ()),
    'ticket_resolutions': ('id', ('root_cause',), ('fix_steps', 'fix_ids', 'article_ids')),
    'articles': ('id', ('title', 'body'), ('fixes',)),
    'article_versions': ('id', ('title', 'body'), ('front_matter',)),
    'chat_sessions': ('id', (), ('state',)),
    'chat_messages': ('id', ('text',), ('citations',)),
}
CHUNK_TEXT = ('heading', 'text', 'title')
BATCH = 1000


def _mask_table(connection: sa.Connection, name: str) -> None:
    key, texts, jsons = TEXT_COLUMNS[name]
    columns = [sa.column(key), *(sa.column(c) for c in texts)]
    columns += [sa.column(c, sa.JSON) for c in jsons]
    table = sa.table(name, *columns)
    last = None
    while True:
        query = sa.select(table).order_by(table.c[key]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = connection.execute(query).mappings().all()
        if not rows:
            return
        for row in rows:
            changed = {
                c: mask_value(row[c]) for c in (*texts, *jsons)
                if row[c] is not None and mask_value(row[c]) != row[c]
            }
            if changed:
                connection.execute(table.update().where(table.c[key] == row[key]).values(**changed))
        last = rows[-1][key]


def _mask_chunks(connection: sa.Connection) -> None:
    meta = sa.MetaData()
    chunks = sa.Table('chunks', meta, autoload_with=connection)
    last = 0
    while True:
        rows = connection.execute(
            sa.select(chunks).where(chunks.c.id > last).order_by(chunks.c.id).limit(BATCH)
        ).mappings().all()
        if not rows:
            return
        for row in rows:
            masked = {c: mask_value(row[c]) for c in CHUNK_TEXT if row[c] is not None}
            if all(masked[c] == row[c] for c in masked):
                continue
            # The copy goes in before the original leaves (under a free ordinal), so it
            # gets an id that is new to every index, on SQLite as on PostgreSQL.
            values = {k: v for k, v in row.items() if k != 'id'} | masked
            values['ordinal'] = -1 - row['ordinal']
            new_id = connection.execute(chunks.insert().values(**values)).inserted_primary_key[0]
            connection.execute(chunks.delete().where(chunks.c.id == row['id']))
            connection.execute(
                chunks.update().where(chunks.c.id == new_id).values(ordinal=row['ordinal'])
            )
        last = rows[-1]['id']


def upgrade() -> None:
    connection = op.get_bind()
    for name in TEXT_COLUMNS:
        _mask_table(connection, name)
    _mask_chunks(connection)


def downgrade() -> None:
    # Masking cannot be undone: the original text is gone, as intended.
    pass
