"""A real `weibao serve` on PostgreSQL, as the fault tests and bench_workers.py run it.

`pg_schema()` makes a throw-away schema in the PostgreSQL test database, `init_data()`
runs `weibao init` into it (seed corpus, indexes), `admin_token()` mints a Bearer token
for the seeded `admin`, and `Server` starts `weibao serve --workers N` in its own process
group, tells its workers apart by the pid /healthz reports, and kills one worker or the
whole server with SIGKILL. Everything here starts and ends only its own processes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

PG_BASE_URL = os.environ.get("WEIBAO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO_DIR = Path(__file__).resolve().parent.parent
# Searches and writes of a load test are far above the per-user default of 120 a minute.
SERVER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "WEIBAO_SEARCH_RATE_PER_MINUTE": "100000",
    "WEIBAO_SLA_CHECK_SECONDS": "0",
    "WEIBAO_LOG_LEVEL": "WARNING",
}


def postgres_reason(url: str = PG_BASE_URL) -> str | None:
    """None when the PostgreSQL server answers, else why the runs here are skipped."""
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no server to run against
        return f"PostgreSQL at {url.split('@')[-1]} did not answer: {exc}"


@contextlib.contextmanager
def pg_schema(base_url: str = PG_BASE_URL, prefix: str = "wbsrv") -> Iterator[str]:
    """A new schema (dropped at the end); yields a SQLAlchemy URL whose search_path is it."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    raw = base_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ, **SERVER_ENV, "WEIBAO_DATABASE_URL": database_url,
        "WEIBAO_DATA_DIR": str(data_dir), **extra,
    }


def weibao(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    """Runs a `weibao` command; returns its stdout, raises with its stderr on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "weibao.cli", *args], env=env, cwd=REPO_DIR,
        capture_output=True, text=True, timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"weibao {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def small_seed(folder: Path, articles: int = 12, tickets: int = 60) -> dict[str, str]:
    """A cut of the seed data (the first `articles` articles and `tickets` historical
    tickets, every hospital and engineer) in `folder`: `weibao init` in seconds rather
    than minutes. Returns the settings that point `init` at it."""
    import yaml

    seed, ops = folder / "seed_articles", folder / "seed_ops"
    seed.mkdir(parents=True, exist_ok=True)
    ops.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO_DIR / "data" / "seed_articles").glob("*.md"))[:articles]:
        shutil.copy(path, seed / path.name)
    source = REPO_DIR / "data" / "seed_ops"
    for name in ("hospitals.yaml", "engineers.yaml", "ticket_templates.yaml"):
        shutil.copy(source / name, ops / name)
    history = yaml.safe_load((source / "tickets.yaml").read_text(encoding="utf-8"))
    (ops / "tickets.yaml").write_text(
        yaml.safe_dump(history[:tickets], allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return {"WEIBAO_SEED_DIR": str(seed), "WEIBAO_SEED_OPS_DIR": str(ops)}


def init_data(database_url: str, data_dir: Path, **extra: str) -> None:
    """`weibao init`: migrations, the seed corpus and tickets, indexes, the first admin."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url, data_dir, WEIBAO_ADMIN_PASSWORD="Serve-Test-Admin-9x!", **extra)
    weibao(env, "init")


def admin_token(database_url: str) -> str:
    """A Bearer token of the seeded `admin` (a token needs no CSRF token or sign-in)."""
    from weibao.core import accounts
    from weibao.core.db import Database, session_scope

    database = Database(database_url)
    try:
        with session_scope(database.sessions) as session:
            user = accounts.get_user_by_username(session=session, username="admin")
            assert user is not None, "weibao init made no admin"
            _, secret = accounts.create_token(
                session=session, user=user, name="serve-harness", expires_in=timedelta(days=1)
            )
    finally:
        database.engine.dispose()
    return secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`weibao serve --workers N` in a process group of its own."""

    def __init__(self, env: dict[str, str], workers: int, port: int | None = None,
                 log_path: Path | None = None) -> None:
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300) -> Server:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "weibao.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env, cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill_all reaches every worker
        )
        if log is not subprocess.DEVNULL:
            log.close()
        try:
            self.wait_for_workers(self.workers, timeout)
        except BaseException:
            self.kill_all()  # never leave a half-started server behind
            raise
        return self

    def healthz(self, timeout: float = 5) -> dict[str, object]:
        """/healthz over a new connection (so that any worker may answer it)."""
        with httpx.Client(base_url=self.url, timeout=timeout) as client:
            response = client.get("/healthz")
            response.raise_for_status()
            body: dict[str, object] = response.json()
            return body

    def worker_pids(self, expected: int, timeout: float = 60) -> set[int]:
        """The pids of the workers answering, by asking /healthz over new connections until
        `expected` different ones answered (or the timeout passed)."""
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < expected and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                pid = self.healthz()["pid"]
                assert isinstance(pid, int)
                seen.add(pid)
        return seen

    def wait_for_workers(self, count: int, timeout: float = 300) -> set[int]:
        """Waits until `count` live workers answer /healthz; returns their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weibao serve exited {self.process.returncode}; log: {self.log_path}")
            pids = {p for p in self.worker_pids(count, timeout=2) if _alive(p)}
            if len(pids) >= count:
                return pids
            time.sleep(0.2)
        raise TimeoutError(f"{count} workers did not answer within {timeout:.0f} s; log: {self.log_path}")

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker (the supervisor starts a new one)."""
        assert pid != self.process_pid, "that is the supervisor"
        os.kill(pid, signal.SIGKILL)

    @property
    def process_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill_all(self) -> None:
        """SIGKILL the supervisor and every worker at once: a host that loses power."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        """SIGTERM (workers finish their requests and write a last snapshot), then SIGKILL."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill_all()
            return
        with contextlib.suppress(ProcessLookupError):  # a worker left behind
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> Server:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def worker_clients(
    server: Server, count: int, headers: dict[str, str] | None = None, timeout: float = 60
) -> dict[int, httpx.Client]:
    """One keep-alive client per worker: a connection is served by the worker that accepted
    it, so requests on a client that /healthz named `pid` are answered by that worker
    (while the connection lives: check the pid again after a run)."""
    clients: dict[int, httpx.Client] = {}
    deadline = time.monotonic() + timeout
    while len(clients) < count:
        if time.monotonic() > deadline:
            for client in clients.values():
                client.close()
            raise TimeoutError(f"{count} workers did not answer within {timeout:.0f} s")
        client = httpx.Client(
            base_url=server.url, timeout=60, headers=headers or {},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        try:
            pid = client.get("/healthz").json()["pid"]
        except httpx.HTTPError:
            client.close()
            continue
        if pid in clients:
            client.close()
        else:
            clients[pid] = client
    return clients


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
