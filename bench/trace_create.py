"""Counts the work one ticket create does: linking, searches, embeddings, SLA, sessions, SQL.

Usage: python bench/trace_create.py [--folder bench/out/trace] [--creates 5] [--extra-engineers 0]
Seeds a data folder once (the seed corpus and operations data, SQLite), then files
`--creates` tickets through POST /api/tickets and prints, per create, how often each
step ran inside `TicketDesk.create` and in the rest of the request. The counters wrap the
real functions and call through. `--extra-engineers N` adds N copies of the seed
engineers first, to see whether the engineer queries grow with their number.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import sessionmaker

from weibao.bootstrap import initialise_all, open_services
from weibao.core import accounts
from weibao.core.db import session_scope
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.embedding import Embedder
from weibao.kb.index import SearchIndex
from weibao.routing.models import Engineer
from weibao.web.app import create_app

TEXTS = [
    ("h-hzsy", "放射科电脑上看不了片子", "阅片工作站打开影像一直转圈"),
    ("h-jnwy", "检验科生化仪结果传不到LIS", "标本结果没回来"),
    ("h-fsnh", "急诊预检分诊系统打不开了", "全部护士站都进不去"),
    ("h-hzsy", "Printer at nurse station prints blank pages", "the label printer on ward 5 is broken"),
    ("h-jnwy", "医保结算失败", "门诊收费窗口医保刷卡报错"),
]


def settings_for(folder: Path) -> Settings:
    return Settings(
        data_dir=folder, seed_dir=REPO_DIR / "data" / "seed_articles",
        ontology_dir=REPO_DIR / "data" / "ontology", secret_key="trace-secret-key",
    )


class Counters:
    """Named call counts; `spy` wraps a callable so that each call adds one and calls through."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def spy(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    def spy_on(self, owner: object, attribute: str, name: str) -> None:
        setattr(owner, attribute, self.spy(name, getattr(owner, attribute)))


def patch_everywhere(name: str, counters: Counters, label: str) -> None:
    """Replaces the function `name` in every loaded weibao module that holds the same object."""
    owners = [m for key, m in list(sys.modules.items()) if key.startswith("weibao") and hasattr(m, name)]
    original = next((getattr(m, name) for m in owners if getattr(m, name).__module__ == m.__name__), None)
    if original is None:
        return
    spy = counters.spy(label, original)
    for module in owners:
        if getattr(module, name) is original:
            setattr(module, name, spy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", type=Path, default=Path("bench/out/trace"))
    parser.add_argument("--creates", type=int, default=5)
    parser.add_argument("--extra-engineers", type=int, default=0)
    args = parser.parse_args()
    settings = settings_for(args.folder)
    if not (args.folder / "weibao.db").exists():
        args.folder.mkdir(parents=True, exist_ok=True)
        initialise_all(settings)
    services = open_services(settings)
    with session_scope(services.database.sessions) as session:
        seed = list(session.scalars(select(Engineer).where(~Engineer.id.contains("-x"))))
        for i in range(args.extra_engineers):
            e = seed[i % len(seed)]
            if session.get(Engineer, f"{e.id}-x{i}") is None:
                session.add(Engineer(
                    id=f"{e.id}-x{i}", name=f"{e.name}{i}", tier=e.tier, systems=e.systems, tags=e.tags,
                    departments=e.departments, regions=e.regions, shifts=e.shifts, max_open=e.max_open,
                ))
        user = accounts.get_user_by_username(session=session, username="trace_admin") or accounts.create_user(
            session=session, username="trace_admin", role="admin")
        _, token = accounts.create_token(session=session, user=user, name="trace", expires_in=timedelta(hours=1))
        engineers = session.query(Engineer).count()
    app = create_app(settings, kb=services.kb, database=services.database, desk=services.desk)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"

    counters = Counters()
    kb, desk = services.kb, services.desk
    if kb.linker is not None:
        counters.spy_on(kb.linker, "link", "entity linker: link()")
    patch_everywhere("hybrid_search", counters, "hybrid searches (hybrid_search)")
    patch_everywhere("due_times", counters, "SLA: due_times()")
    patch_everywhere("evaluate_sla", counters, "SLA: evaluate_sla()")
    for cls, method, label in (
        (SearchIndex, "bm25_scores", "BM25 scoring passes"),
        (SearchIndex, "dense_search", "dense (FAISS) searches"),
        (Embedder, "encode_query", "query embeddings asked (encode_query)"),
        (Embedder, "encode", "model runs (Embedder.encode)"),
        (sessionmaker, "__call__", "DB sessions opened"),
    ):
        counters.spy_on(cls, method, label)

    @event.listens_for(services.database.engine, "before_cursor_execute")
    def count_sql(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        counters.counts["SQL statements"] += 1
        if re.search(r"\bengineers\b", statement):
            counters.counts["SQL statements reading engineers"] += 1

    create = desk.create
    marks: list[Counter[str]] = []  # the counts when create starts and when it returns

    def counted_create(*a: Any, **k: Any) -> Any:
        marks.append(Counter(counters.counts))
        try:
            return create(*a, **k)
        finally:
            marks.append(Counter(counters.counts))

    vars(desk)["create"] = counted_create
    phases = {"before create": Counter[str](), "in desk.create": Counter[str](), "after it": Counter[str]()}
    for i in range(args.creates):
        hospital, title, description = TEXTS[i % len(TEXTS)]
        counters.counts.clear()
        response = client.post(
            "/api/tickets", json={"hospital_id": hospital, "title": title, "description": description}
        )
        assert response.status_code == 201, response.text
        start, end = marks
        marks.clear()
        phases["before create"] += start
        phases["in desk.create"] += end - start
        phases["after it"] += counters.counts - end
    n = args.creates
    print(f"{n} creates through POST /api/tickets, {engineers} engineers; calls per create")
    print(f"{'':40s}" + "".join(f"{p:>16s}" for p in phases))
    for name in sorted(set().union(*phases.values())):
        print(f"{name:40s}" + "".join(f"{c[name] / n:>16.1f}" for c in phases.values()))


if __name__ == "__main__":
    main()
