"""Migration 0018 on a database with data: tickets filed before it name no articles read
(an empty list), and it goes down again."""

from __future__ import annotations

from sqlalchemy import text

from tests.core.test_migration_0017 import _step
from weibao.core.db import Database


def test_existing_tickets_name_no_articles_read(database_url: str) -> None:
    _step(database_url, "0017", down=True)
    engine = Database(database_url).engine
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO hospitals (id, name, name_en, region, timezone, created_at) "
            "VALUES ('h-old', '老医院', 'Old', 'east', 'Asia/Shanghai', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO tickets (code, hospital_id, reporter_name, reporter_role, channel, title, "
            "description, priority, triage, needs_onsite, status, escalation_level, tier, timezone, "
            "created_at, updated_at, response_due, resolution_due, response_state, resolution_state, "
            "pauses) VALUES ('T-2026-00001', 'h-old', '', '', 'web', '打印机坏了', '', 'P3', '{}', :no, "
            "'new', 0, 'basic', 'Asia/Shanghai', '2026-01-01 00:00:00', '2026-01-01 00:00:00', "
            "'2026-01-01 04:00:00', '2026-01-02 00:00:00', 'ok', 'ok', '[]')"), {"no": False})
    engine.dispose()
    _step(database_url, "head")
    engine = Database(database_url).engine
    with engine.begin() as connection:
        tried = connection.execute(text("SELECT tried_articles FROM tickets WHERE code = 'T-2026-00001'")).scalar()
        assert tried in ([], "[]")
    engine.dispose()
    _step(database_url, "0017", down=True)
    _step(database_url, "head")
