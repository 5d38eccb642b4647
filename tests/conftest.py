"""Shared fixtures: databases (SQLite and PostgreSQL), the real embedding model, a seeded KB."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# A server started on a data folder without a model trains at its first tick (a minute in);
# a test's server must not retrain and swap its model mid-test. Tests of the training call
# it directly (tests/routing/test_training.py).
os.environ.setdefault("WEIBAO_TRAIN_EVERY_HOURS", "0")

from weibao.core.db import Database
from weibao.core.settings import REPO_DIR, Settings

PG_BASE_URL = os.environ.get("WEIBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reason() -> str | None:
    """None when the test server answers, else why the PostgreSQL runs are skipped."""
    try:
        import psycopg

        with psycopg.connect(
            PG_BASE_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
        ):
            return None
    except Exception as exc:  # any failure means: no server to test against
        return f"PostgreSQL at 127.0.0.1:5432 (database test) did not answer: {exc}"


_PG_SKIP = _postgres_reason()


def make_settings(tmp: Path, database_url: str = "", **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp,
        seed_dir=REPO_DIR / "data" / "seed_articles",
        ontology_dir=REPO_DIR / "data" / "ontology",
        eval_dir=REPO_DIR / "data" / "eval",
        **overrides,
    )


# Modules marked `pg_crowd` open many PostgreSQL connections at once (several server
# processes, racing threads). `make test` runs two pytest processes; two such modules at the
# same time would pass the server's 100 connections, so they take turns, module by module,
# under a lock file shared by the processes (each module stays whole on one process).
PG_CROWD_LOCK = Path(tempfile.gettempdir()) / "weibao-tests-pg-crowd.lock"


@pytest.hookimpl(optionalhook=True)  # xdist's hook: no error where xdist is not loaded
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`--dist loadfile` with the pg_crowd modules together and long modules first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import ModuleGroupScheduling

    return ModuleGroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the order is the handing-out order
        from tests.scheduling import order_items

        order_items(items)


@pytest.fixture(scope="module", autouse=True)
def _pg_crowds_take_turns(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("pg_crowd") is None:
        yield
        return
    with open(PG_CROWD_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, migrated database per test: a SQLite file, or a PostgreSQL schema."""
    from tests.databases import fresh_postgresql_schema, fresh_sqlite

    if request.param == "sqlite":
        fresh_sqlite(tmp_path / "test.db", tmp_path_factory.getbasetemp())
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    schema = f"wb_{uuid.uuid4().hex[:12]}"
    raw = PG_BASE_URL.replace("postgresql+psycopg", "postgresql")
    # Every connection to this schema carries its name, so that the ones a test left open
    # (an app's pool nobody disposed) are closed when it ends: two pytest processes would
    # otherwise pile idle connections up to the server's limit of 100.
    url = f"{PG_BASE_URL}?options=-csearch_path%3D{schema}&application_name={schema}"
    fresh_postgresql_schema(PG_BASE_URL, schema, url)
    database = Database(url)
    try:
        yield url
    finally:
        database.engine.dispose()
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND pid <> pg_backend_pid()", (schema,)
            )
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real default model (multilingual USE v3), loaded once for the whole run."""
    from weibao.kb.embedding import open_embedder

    return open_embedder(Settings.model_fields["embed_backend"].default)


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:  # type: ignore[no-untyped-def]
    """A data folder initialised with the seed corpus (SQLite + indexes), one per pytest
    process. Under xdist the first process to need it builds a pristine one for the run
    (about a minute, mostly embedding) and each process copies it: the copies start equal
    whatever the other process's tests later write into its own."""
    from weibao.bootstrap import initialise_all

    def build(folder: Path) -> None:
        report = initialise_all(make_settings(folder), embedder)
        assert not report.articles.errors, report.articles.errors

    folder = tmp_path_factory.mktemp("seeded")
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        build(folder)
        return folder
    pristine = tmp_path_factory.getbasetemp().parent / "seeded-pristine"  # this run's, shared
    with open(f"{pristine}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (pristine / ".built").exists():
                shutil.rmtree(pristine, ignore_errors=True)
                build(pristine)
                (pristine / ".built").touch()
            shutil.copytree(pristine, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".built"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


@pytest.fixture(scope="session")
def seeded_services(seeded_dir: Path, embedder):  # type: ignore[no-untyped-def]
    """Knowledge base and ticket desk over the seeded folder (shared: do not mutate)."""
    from weibao.bootstrap import open_services

    return open_services(make_settings(seeded_dir), embedder)


@pytest.fixture(scope="session")
def seeded_kb(seeded_services):  # type: ignore[no-untyped-def]
    return seeded_services.kb
