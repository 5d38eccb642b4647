"""`weibao backup` / `weibao restore` carry the tickets' attachments along."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.web.followup_route_examples import png_bytes
from tests.web.security.conftest import FakeKB, build_env
from weibao.core.db import Database
from weibao.ops.backup import backup, restore
from weibao.routing.attachments import AttachmentStore
from weibao.routing.desk import ALL, TicketDesk


def test_a_restored_backup_serves_the_same_attachment(database_url: str, tmp_path: Path) -> None:
    if "postgresql" in database_url:
        pytest.skip("the attachments are files: one database kind is enough")
    env = build_env(tmp_path / "live", database_url)
    settings = env.app.state.settings
    code = env.new_ticket()
    store = AttachmentStore(env.desk, settings.data_dir / "attachments", 100_000, timedelta(days=30))
    attachment = store.add(code, "shot.png", png_bytes(), "clinician", None, ALL)
    backup(settings, tmp_path / "bk")
    assert list((tmp_path / "bk" / "attachments").rglob(attachment.storage_key))

    target = make_settings(tmp_path / "restored")
    restore(target, tmp_path / "bk")
    database = Database(target.resolved_database_url)
    desk = TicketDesk(FakeKB(), database.sessions)  # type: ignore[arg-type]
    restored = AttachmentStore(desk, target.data_dir / "attachments", 100_000, timedelta(days=30))
    _, data = restored.open(code, attachment.id, ALL)
    assert data == png_bytes()
    database.engine.dispose()
