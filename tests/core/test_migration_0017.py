"""Migration 0017 on a database with data: engineer profiles from before it keep the review
right they had (every engineer could review), articles name no affected versions, and it
goes down again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from weibao.core import migrate
from weibao.core.db import Database


def _step(url: str, revision: str, down: bool = False) -> None:
    engine = Database(url).engine
    cfg = migrate.alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)
    engine.dispose()


def test_existing_engineers_keep_the_review_right(database_url: str) -> None:
    _step(database_url, "0016", down=True)
    engine = Database(database_url).engine
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO engineers (id, name, tier, systems, tags, departments, regions, shifts, max_open, active) "
            "VALUES ('eng-old', '老工程师', 'L2', '{}', '[]', '{}', '[]', '[]', 8, :yes)"), {"yes": True})
        connection.execute(text(
            "INSERT INTO articles (id, title, systems, symptoms, departments, fixes, audience, language, updated, "
            "body, status, content_hash, version, created_at, modified_at) VALUES ('his-old', '旧文', '[\"his\"]', "
            "'[]', '[]', '[]', 'it_staff', 'zh', '2026-01-01', '正文', 'published', 'x', 1, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    engine.dispose()
    _step(database_url, "head")
    engine = Database(database_url).engine
    with engine.begin() as connection:
        assert connection.execute(text("SELECT can_review FROM engineers WHERE id = 'eng-old'")).scalar() in (True, 1)
        affected = connection.execute(text("SELECT affected_versions FROM articles WHERE id = 'his-old'")).scalar()
        assert affected in ({}, "{}")
        # A profile added now starts without it.
        connection.execute(text(
            "INSERT INTO engineers (id, name, tier, systems, tags, departments, regions, shifts, max_open, active) "
            "VALUES ('eng-new', '新人', 'L1', '{}', '[]', '{}', '[]', '[]', 8, :yes)"), {"yes": True})
        assert connection.execute(text("SELECT can_review FROM engineers WHERE id = 'eng-new'")).scalar() in (False, 0)
    engine.dispose()
    _step(database_url, "0016", down=True)
    _step(database_url, "head")
