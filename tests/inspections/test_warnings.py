"""Early warnings from a scraped Prometheus endpoint: a database near its connection limit
opens one P3 预警 ticket and clears when the connections fall (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.security.conftest import HOSPITAL_A, build_env
from weibao.inspections.warnings import WarningService
from weibao.routing.errors import Invalid
from weibao.routing.models import Comment, Ticket


class Exposition(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # the name http.server calls
        if self.path != "/metrics":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Exposition)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _exposition(connections: int) -> bytes:
    return (f'# TYPE pg_stat_activity_count gauge\npg_stat_activity_count{{instance="his-db"}} {connections}\n'
            'pg_settings_max_connections{instance="his-db"} 200\ngo_goroutines 31\n').encode()


def test_a_scraped_database_near_its_limit_warns_once_and_clears(
    database_url: str, tmp_path: Path, endpoint: str,
) -> None:
    env = build_env(tmp_path, database_url)
    clock = [dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)]
    warnings = WarningService(env.desk, clock=lambda: clock[0])
    with pytest.raises(Invalid) as refused:
        warnings.add_source(HOSPITAL_A, "file:///etc/passwd")
    assert refused.value.field == "url"
    good = warnings.add_source(HOSPITAL_A, f"{endpoint}/metrics")
    broken = warnings.add_source(HOSPITAL_A, f"{endpoint}/missing")

    Exposition.body = _exposition(182)  # 91 % of 200
    outcome = warnings.scrape_all()
    assert outcome[good.id] == 2 and "404" in str(outcome[broken.id])
    (opened,) = warnings.check_all()
    assert opened.action == "opened" and "182/200" in opened.summary
    clock[0] += dt.timedelta(minutes=1)
    warnings.scrape_all()
    assert warnings.check_all() == []  # still firing: the same warning, no second ticket

    Exposition.body = _exposition(60)
    clock[0] += dt.timedelta(minutes=1)
    warnings.scrape_all()
    (cleared,) = warnings.check_all()
    assert cleared.action == "cleared" and cleared.ticket == opened.ticket
    with env.database.sessions() as session:
        tickets = session.scalars(select(Ticket).where(Ticket.alert_key.like("warning:%"))).all()
        assert [(t.code, t.priority, t.symptom) for t in tickets] == [(opened.ticket, "P3", "slow")]
        bodies = session.scalars(select(Comment.body).where(Comment.ticket_id == tickets[0].id)).all()
        assert any(b.startswith("预警已解除") for b in bodies)
    (row,) = warnings.list()
    assert row.status == "cleared" and row.evidence["numbers"]["limit"] == 200.0  # type: ignore[index]
    sources = {s.id: s for s in warnings.sources()}
    assert sources[good.id].last_error == "" and sources[broken.id].last_error


def test_thresholds_are_per_hospital_and_refused_naming_the_value(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url)
    warnings = WarningService(env.desk)
    assert warnings.set_thresholds(HOSPITAL_A, {"storage_days": 3})["storage_days"] == 3.0
    assert warnings.thresholds("h-b")["storage_days"] == 7.0
    for values, field in (({"storage_days": 0}, "values.storage_days"), ({"colour": 1}, "values.colour"),
                          ({"latency_factor": True}, "values.latency_factor")):
        with pytest.raises(Invalid) as refused:
            warnings.set_thresholds(HOSPITAL_A, values)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert warnings.thresholds(HOSPITAL_A)["storage_days"] == 3.0
