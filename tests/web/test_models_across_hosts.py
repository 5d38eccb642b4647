"""Regression (issue 12): hosts that share the database and nothing else share the trained
models. Before, `weibao train` and the scheduled retraining wrote them into the data folder
of the host that ran them; the other hosts kept the old model, or none.

Here `weibao train` runs as its own process on one data folder; this process serves from
another data folder over the same database (SQLite and PostgreSQL) and follows the models
as each server worker does on its training monitor's tick; a third, empty data folder gets
them at start-up. A payload that does not load leaves the previous model in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.conftest import _PG_SKIP, PG_BASE_URL, make_settings
from weibao.core import migrate
from weibao.core.db import Database
from weibao.core.model_files import ModelSync, TrainedModel, store_model, stored_versions
from weibao.graph.classifier import STORED, load_model, model_path
from weibao.ops.backup import backup, restore
from weibao.routing import priority_model
from weibao.routing.priority_model import PrioritySample

pytestmark = pytest.mark.slow

def weibao_train(data_dir: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "WEIBAO_DATA_DIR": str(data_dir), "WEIBAO_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "weibao.cli", "train"],
                          capture_output=True, text=True, env=environ, timeout=600)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def small_priority_model(level: str) -> priority_model.PriorityModel:
    texts = ["打印机打不出来", "挂号系统很慢", "影像调不出来", "医保结算失败"]
    other = "P1" if level != "P1" else "P4"
    samples = [PrioritySample(t, None, None, None, level) for t in texts]
    samples.append(PrioritySample("无关的一句话", None, None, None, other, weight=0.01))
    model, _ = priority_model.train(samples * 3, margin=0.0, enabled=True)
    return model


def test_a_model_trained_by_one_process_reaches_a_server_on_another_data_folder(  # type: ignore[no-untyped-def]
    database_url: str, embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from weibao.bootstrap import open_services
    from weibao.kb.runtime import build_knowledge_base
    from weibao.web.training_monitor import ModelFollower

    if not database_url.startswith("postgresql"):
        # Hosts share a PostgreSQL database; SQLite's store and reload are tested in test_training.
        pytest.skip("several hosts share a PostgreSQL database, never an SQLite file")
    trainer, server, fresh = tmp_path / "host-a", tmp_path / "host-b", tmp_path / "host-c"
    services = open_services(make_settings(server, database_url), embedder)
    engine = services.database.engine
    try:
        linker = services.kb.linker
        follower = ModelFollower(linker, engine, server)
        assert linker.model is None and not follower.check()  # nothing trained anywhere yet

        done = weibao_train(trainer, database_url)
        assert done.returncode == 0, done.stderr
        stored = stored_versions(engine)
        assert set(stored) == {"understanding", "priority"}
        assert stored["understanding"].sha256 == sha256(model_path(trainer))
        assert stored["priority"].sha256 == sha256(priority_model.model_path(trainer))

        # The server's next tick: both models copied into its own data folder, the
        # understanding model swapped into its linker.
        assert follower.check() and linker.model is not None
        assert sha256(model_path(server)) == stored["understanding"].sha256
        assert priority_model.load(priority_model.model_path(server)) is not None
        trained = load_model(model_path(trainer))
        assert trained is not None and linker.model.trained_at == trained.trained_at
        assert not follower.check()  # unchanged: nothing copied or loaded again

        # A host with an empty data folder starts with the database's model.
        other = build_knowledge_base(make_settings(fresh, database_url), embedder)
        assert other.linker.model is not None and sha256(model_path(fresh)) == stored["understanding"].sha256

        # A retraining replaces the row (one per model), and the server follows it.
        replacement = small_priority_model("P4")
        store_model(engine, priority_model.STORED, replacement, tmp_path / "elsewhere.pkl")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(TrainedModel)) == 2
        follower.check()
        copied = priority_model.load(priority_model.model_path(server))
        assert copied is not None and copied.counts == replacement.counts

        # A payload that does not load: one error line, the previous model kept.
        previous, before = linker.model, sha256(model_path(server))
        garbage = b"not a pickled model"
        with engine.begin() as connection:
            connection.execute(update(TrainedModel).where(TrainedModel.name == STORED.name).values(
                payload=garbage, sha256=hashlib.sha256(garbage).hexdigest(), size=len(garbage)))
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            assert not follower.check()
            assert not follower.check()  # said once, not at every tick
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, errors
        assert "cannot read the understanding model at the database (trained_models 'understanding')" in errors[0]
        assert linker.model is previous and sha256(model_path(server)) == before
    finally:
        services.database.engine.dispose()


def test_backup_and_restore_carry_the_trained_models(database_url: str, tmp_path: Path) -> None:
    source = Database(database_url)
    model = small_priority_model("P3")
    store_model(source.engine, priority_model.STORED, model, tmp_path / "trainer" / "priority.pkl")
    stored = stored_versions(source.engine)["priority"]
    backup(make_settings(tmp_path / "src-data", database_url), tmp_path / "bk")
    source.engine.dispose()

    schema = None
    if database_url.startswith("sqlite"):
        target_url = ""  # the restored data folder's own SQLite file
    else:
        if _PG_SKIP:
            pytest.skip(_PG_SKIP)
        import psycopg

        schema = f"wb_bk_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_BASE_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        target_url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    try:
        settings = make_settings(tmp_path / "restored", target_url)
        restore(settings, tmp_path / "bk")
        target = Database(settings.resolved_database_url)
        migrate.check_current(target.engine)
        assert stored_versions(target.engine)["priority"] == stored
        # The restored host's empty data folder gets the model from the restored database.
        path = priority_model.model_path(settings.data_dir)
        assert ModelSync(target.engine, priority_model.STORED, path).check()
        restored = priority_model.load(path)
        assert restored is not None and restored.counts == model.counts
        target.engine.dispose()
    finally:
        if schema is not None:
            import psycopg

            with psycopg.connect(PG_BASE_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
