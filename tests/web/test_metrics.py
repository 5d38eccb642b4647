"""Prometheus metrics at /metrics: route templates (no personal data in labels), search
latency, index size and lag, queue depths, SLA breaches; optional bearer token."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from weibao.web.app import create_app
from weibao.web.metrics import SLA_BREACHES, record_sla_changes


def _app(seeded_dir: Path, seeded_services, **overrides):  # type: ignore[no-untyped-def]
    return create_app(
        make_settings(seeded_dir, secret_key="test-secret-key", sla_check_seconds=0, **overrides),
        kb=seeded_services.kb, database=seeded_services.database, desk=seeded_services.desk,
    )


def _value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{prefix} not in the scrape")


def test_metrics_are_public_and_label_routes_by_template(seeded_dir, seeded_services) -> None:  # type: ignore[no-untyped-def]
    with TestClient(_app(seeded_dir, seeded_services), raise_server_exceptions=False) as client:
        assert client.get("/api/search", params={"q": "患者张三 放射科看不了片子"}).status_code == 200
        client.get("/api/tickets/T-SECRET-4711")  # 401: still counted, by its template
        client.get("/no/such/place-13800138000")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'route="/api/search"' in body and 'method="GET"' in body
    assert 'route="/api/tickets/{code}"' in body and 'route="<unmatched>"' in body
    for private in ("T-SECRET-4711", "13800138000", "张三", "片子"):
        assert private not in body
    assert _value(body, 'weibao_search_duration_seconds_count{entry="linked"}') >= 1
    assert _value(body, "weibao_index_chunks ") == len(seeded_services.kb.index)
    assert _value(body, "weibao_index_change_seq ") >= 0
    assert "weibao_tickets_unassigned " in body and "weibao_tickets_open" in body
    assert 'weibao_tickets_breached{target="response"}' in body
    assert "weibao_sla_breaches_total" in body


def test_a_metrics_token_is_required_when_configured(seeded_dir, seeded_services, tokens) -> None:  # type: ignore[no-untyped-def]
    app = _app(seeded_dir, seeded_services, metrics_token="scrape-me")
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # An account's API token is not the metrics token.
    account = client.get("/metrics", headers={"Authorization": f"Bearer {tokens['admin_ops']}"})
    assert account.status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and "weibao_http_request_duration_seconds" in ok.text


def test_sla_breaches_are_counted_by_target() -> None:
    before = SLA_BREACHES.labels(target="resolution")._value.get()
    record_sla_changes([
        {"ticket": "T-1", "target": "resolution", "state": "breached"},
        {"ticket": "T-1", "target": "response", "state": "warning"},
    ])
    assert SLA_BREACHES.labels(target="resolution")._value.get() == before + 1


def test_several_workers_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (set by `serve --workers N`), a scrape by any worker
    sums what every worker counted."""
    folder = tmp_path / "multiproc"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "HF_HUB_OFFLINE": "1"}
    count = textwrap.dedent("""
        from weibao.web.metrics import record_sla_changes
        record_sla_changes([{"target": "response", "state": "breached"}])
    """)
    for _ in range(2):  # two worker processes
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=120)
    scrape = textwrap.dedent("""
        from prometheus_client import CollectorRegistry
        from weibao.web.metrics import _render
        print(_render(CollectorRegistry()).decode())
    """)
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, timeout=120,
                         capture_output=True, text=True).stdout
    assert _value(out, 'weibao_sla_breaches_total{target="response"}') == 2


@pytest.mark.parametrize("workers", ["2"])
def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path, workers: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WEIBAO_DATABASE_URL": "",
           "WEIBAO_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "weibao.cli", "serve", "--workers", workers],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "weibao serve: --workers 2: a SQLite database is served by one process; "
        "use PostgreSQL (WEIBAO_DATABASE_URL) for several workers"
    ]
    assert not any(tmp_path.iterdir())  # nothing created


def test_serve_with_workers_refuses_a_port_in_use_in_one_line(database_url: str, tmp_path: Path) -> None:
    """The workers bind the port each with SO_REUSEPORT (weibao.web.workers); the supervisor
    first binds it without, so a port held by anything else (another `weibao serve`) is one
    line, not two servers sharing it."""
    if database_url.startswith("sqlite"):
        pytest.skip("several workers need PostgreSQL")
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "WEIBAO_DATABASE_URL": database_url,
               "WEIBAO_DATA_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-m", "weibao.cli", "serve", "--workers", "2", "--port", str(port)],
            capture_output=True, text=True, env=env, timeout=120,
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"weibao serve: --port {port}: "), lines
    assert "in use" in lines[0]


def test_reuse_port_sockets_share_the_port_and_each_accepts(tmp_path: Path) -> None:
    """Two listening sockets of the kind each worker binds: both on one port, and the kernel
    hands new connections to both (not all to the first, as one shared socket's accept did)."""
    import socket

    from weibao.web.workers import PortInUseError, check_port_free, listening_socket

    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)
    try:
        with pytest.raises(PortInUseError):
            check_port_free("127.0.0.1", port)
        for sock in (first, second):
            sock.setblocking(False)
        accepted = {0: 0, 1: 0}
        clients = []
        for _ in range(64):
            clients.append(socket.create_connection(("127.0.0.1", port)))
        for i, sock in enumerate((first, second)):
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                accepted[i] += 1
        assert accepted[0] + accepted[1] == 64
        assert accepted[0] >= 8 and accepted[1] >= 8, accepted
    finally:
        for c in clients:
            c.close()
        first.close()
        second.close()
