"""`weibao backup` / `weibao restore`: a consistent copy that restores into an empty data
directory and searches the same; non-empty targets are refused with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import _PG_SKIP, PG_BASE_URL, make_settings
from weibao.core import migrate
from weibao.core.db import Database, session_scope, utcnow
from weibao.core.settings import REPO_DIR
from weibao.ops.backup import BackupError, backup, restore
from weibao.routing.models import Ticket
from weibao.routing.seed import load_engineers, load_hospitals

QUERY = "放射科电脑上看不了片子"


def test_backup_and_restore_into_an_empty_data_directory_searches_the_same(
    seeded_dir: Path, seeded_kb, embedder, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from weibao.bootstrap import open_services

    before = seeded_kb.search_linked(QUERY)
    report = backup(make_settings(seeded_dir), tmp_path / "bk")
    assert report.dialect == "sqlite" and report.index_generation
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    # Other tests share the seeded folder and may have added articles: count them now.
    from weibao.kb.models import Article

    with session_scope(seeded_kb.sessions) as session:
        articles = session.scalar(select(func.count()).select_from(Article))
    assert articles and manifest["tables"]["articles"] == articles
    assert (tmp_path / "bk" / "weibao.db").exists()
    assert (tmp_path / "bk" / "index" / "CURRENT").read_text() == report.index_generation

    target = tmp_path / "restored"
    restore(make_settings(target), tmp_path / "bk")
    services = open_services(make_settings(target), embedder)
    try:
        after = services.kb.search_linked(QUERY)
        assert after.hits and before.hits
        assert after.hits[0].id == before.hits[0].id
        assert len(services.kb.index) == len(seeded_kb.index)
    finally:
        services.database.engine.dispose()


def test_restore_refuses_a_non_empty_target_and_backup_a_non_empty_dest(
    seeded_dir: Path, tmp_path: Path
) -> None:
    backup(make_settings(seeded_dir), tmp_path / "bk")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("x")
    with pytest.raises(BackupError, match="not empty: restore only into an empty data directory"):
        restore(make_settings(busy), tmp_path / "bk")
    assert sorted(p.name for p in busy.iterdir()) == ["something"]  # untouched
    with pytest.raises(BackupError, match="exists and is not empty"):
        backup(make_settings(seeded_dir), busy)
    with pytest.raises(BackupError, match="not a weibao backup"):
        restore(make_settings(tmp_path / "empty"), busy)


def test_the_cli_says_one_line_and_exits_2_on_a_non_empty_target(
    seeded_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WEIBAO_DATABASE_URL": "",
           "WEIBAO_DATA_DIR": str(seeded_dir)}
    done = subprocess.run([sys.executable, "-m", "weibao.cli", "backup", str(tmp_path / "bk")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "backup written to" in done.stdout
    env["WEIBAO_DATA_DIR"] = str(seeded_dir)  # not empty
    refused = subprocess.run([sys.executable, "-m", "weibao.cli", "restore", str(tmp_path / "bk")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("weibao restore: ") and "not empty" in lines[0]


@pytest.fixture
def pg_schemas():  # type: ignore[no-untyped-def]
    """Two empty PostgreSQL schemas: the source and the restore target."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    raw = PG_BASE_URL.replace("postgresql+psycopg", "postgresql")
    names = [f"wb_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(raw, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE SCHEMA "{name}"')
    yield [f"{PG_BASE_URL}?options=-csearch_path%3D{name}" for name in names]
    with psycopg.connect(raw, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_postgresql_tables_round_trip_in_one_snapshot(pg_schemas: list[str], tmp_path: Path) -> None:
    source_url, target_url = pg_schemas
    source = Database(source_url)
    migrate.upgrade(source.engine)
    ops = REPO_DIR / "data" / "seed_ops"
    created = utcnow() - timedelta(hours=2)
    with session_scope(source.sessions) as session:
        load_hospitals(session, ops / "hospitals.yaml")
        load_engineers(session, ops / "engineers.yaml")
        session.add(Ticket(code="T-BK-1", hospital_id="h-bjhd", title="打印机坏了 患者张三",
                           priority="P3", tier="premium", created_at=created, updated_at=created,
                           response_due=created + timedelta(hours=4),
                           resolution_due=created + timedelta(days=1)))
    with session_scope(source.sessions) as session:
        stored_title = session.scalar(select(Ticket.title).where(Ticket.code == "T-BK-1"))
    report = backup(make_settings(tmp_path / "src-data", source_url), tmp_path / "bk")
    assert report.dialect == "postgresql" and report.tables["tickets"] == 1
    assert report.index_generation is None  # no index folder on this host: rebuilt on start

    target = Database(target_url)
    restore(make_settings(tmp_path / "new-data", target_url), tmp_path / "bk")
    with session_scope(target.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.code == "T-BK-1"))
        assert ticket is not None and ticket.title == stored_title
        assert ticket.created_at == created
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        # The id sequence continues after the restored rows.
        session.add(Ticket(code="T-BK-2", hospital_id="h-bjhd", title="新", priority="P4",
                           tier="premium", created_at=created, updated_at=created,
                           response_due=created, resolution_due=created))
    with pytest.raises(BackupError, match="already holds data"):
        restore(make_settings(tmp_path / "third-data", target_url), tmp_path / "bk")
    for database in (source, target):
        database.engine.dispose()
