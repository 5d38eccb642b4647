"""Operations commands: `weibao serve`'s worker set-up, `weibao backup`, `weibao restore`."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from weibao.cli_base import CommandError, command

if TYPE_CHECKING:
    from weibao.core.settings import Settings

METRICS_FOLDER = "metrics-multiproc"


def _settings() -> Settings:
    from weibao.core.settings import get_settings

    return get_settings()


def serve(settings: Settings, host: str, port: int, workers: int | None) -> int:
    """One process on SQLite; N uvicorn workers on PostgreSQL, each opening its own services."""
    import uvicorn

    from weibao.core import migrate
    from weibao.core.db import Database

    count = settings.workers if workers is None else workers
    if count < 1:
        raise CommandError(f"--workers {count}: must be at least 1")
    sqlite = settings.resolved_database_url.startswith("sqlite")
    if sqlite and count > 1:
        raise CommandError(
            f"--workers {count}: a SQLite database is served by one process; "
            "use PostgreSQL (WEIBAO_DATABASE_URL) for several workers"
        )
    migrate.check_current(Database(settings.resolved_database_url).engine)  # before the server starts
    if count == 1:
        from weibao.bootstrap import create_web_app

        uvicorn.run(create_web_app(settings), host=host, port=port, log_level="info")
        return 0
    # Counters and histograms of every worker are summed on each scrape of /metrics: one
    # folder per serve run, emptied at start (the old run's files would be counted again).
    folder = settings.data_dir / METRICS_FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())
    # torch (query and passage embedding) starts one OpenMP thread per core in every worker:
    # N workers would run N x cores threads that spin-wait for each other. Each worker gets
    # its share of the cores instead (bench/bench_workers.py --unique, 2 workers on the busy
    # shared 2-core box: 59 -> 24 ms of worker CPU per search). An operator's setting wins.
    threads = str(max(1, len(os.sched_getaffinity(0)) // count))
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, threads)
    from weibao.web.workers import PortInUseError, Supervisor

    try:
        Supervisor(count, host, port).run()
    except PortInUseError as exc:
        raise CommandError(f"--port {port}: {exc.strerror}") from exc
    return 0


@command("backup")
def cmd_backup(args: argparse.Namespace) -> int:
    from weibao.ops.backup import BackupError, backup

    try:
        report = backup(_settings(), Path(args.dest))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(f"backup written to {report.path}: {report.summary()}")
    return 0


@command("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    from weibao.ops.backup import BackupError, restore

    try:
        report = restore(_settings(), Path(args.src))
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(f"restored into {report.path}: {report.summary()}")
    print("start `weibao serve`: the index catches up with the database on start")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("backup", help="consistent copy of the database and the index")
    p.add_argument("dest", help="a new or empty folder")
    p = sub.add_parser("restore", help="restore a backup into an empty data directory and database")
    p.add_argument("src", help="a folder written by `weibao backup`")
