"""Ticket benchmark: create + triage + assign against a large history.

Usage: python bench/bench_tickets.py [--history 100000] [--engineers 200] [--creates 200]
       [--folder bench/out/tickets] [--reuse]
Builds (once) a SQLite database with the seed hospitals, `--engineers` engineers (the seed
engineers repeated with new ids) and `--history` resolved tickets (the seed tickets repeated
with new codes and a varying location phrase), indexes them (see index_history), then times
`TicketDesk.create` — masking, linking, similar-ticket search, SLA, article suggestions,
matching and the locked save — for `--creates` new tickets. Prints medians and p99.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from sqlalchemy import insert, select

from weibao.bootstrap import open_services
from weibao.core.db import session_scope
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.passages import write_chunks
from weibao.kb.runtime import build_knowledge_base, prepare_database
from weibao.routing.knowledge_loop import ticket_document
from weibao.routing.models import Engineer, Resolution, Ticket
from weibao.routing.planning import TicketDraft
from weibao.routing.runtime import resolved_pairs
from weibao.routing.seed import load_hospitals

SEED_OPS = REPO_DIR / "data" / "seed_ops"
PLACES = ["门诊{}楼", "{}号窗口", "{}病区", "{}号诊室", "住院部{}楼", "{}号自助机"]


def build(folder: Path, history: int, engineers: int) -> None:
    settings = Settings(data_dir=folder)
    database = prepare_database(settings)
    kb = build_knowledge_base(settings, database=database)
    kb.open()
    kb.ingest(settings.seed_dir)
    rng = random.Random(7)
    seed_engineers = yaml.safe_load((SEED_OPS / "engineers.yaml").read_text(encoding="utf-8"))
    seed_tickets = yaml.safe_load((SEED_OPS / "tickets.yaml").read_text(encoding="utf-8"))
    with session_scope(database.sessions) as session:
        load_hospitals(session, SEED_OPS / "hospitals.yaml")
        for i in range(engineers):
            e = seed_engineers[i % len(seed_engineers)]
            session.add(Engineer(
                id=f"{e['id']}-{i}", name=f"{e['name']}{i}", tier=e["tier"], systems=e["systems"],
                tags=e.get("tags", []), departments=e.get("departments", {}), regions=e.get("regions", []),
                shifts=e.get("shifts", []), max_open=e.get("max_open", 8),
            ))
        session.flush()
        ids = [f"{seed_engineers[i % len(seed_engineers)]['id']}-{i}" for i in range(engineers)]
        rows, resolutions = [], []
        for n in range(history):
            t = seed_tickets[n % len(seed_tickets)]
            place = rng.choice(PLACES).format(rng.randint(1, 40))
            created = datetime.fromisoformat(t["created_at"]) - timedelta(days=rng.randint(0, 700))
            engineer = ids[rng.randrange(len(ids))]
            rows.append({
                "id": n + 1, "code": f"T-B-{n + 1:06d}", "hospital_id": t["hospital_id"], "channel": t["channel"],
                "title": f"{place}{t['title']}", "description": t["description"], "system": t["system"],
                "symptom": t["symptom"], "department": t["department"], "priority": t["priority"],
                "status": "closed", "assignee_id": engineer, "created_at": created,
                "updated_at": created, "response_due": created, "resolution_due": created,
                "resolved_at": created + timedelta(minutes=t["resolution_minutes"]),
                "tier": "basic", "timezone": "Asia/Shanghai", "triage": {}, "pauses": [],
            })
            resolutions.append({
                "ticket_id": n + 1, "hospital_id": t["hospital_id"], "root_cause": t["root_cause"],
                "fix_steps": t["fix_steps"], "fix_ids": [t["fix_id"]], "article_ids": [],
                "resolved_by": engineer, "at": created,
            })
        for start in range(0, history, 5000):
            session.execute(insert(Ticket), rows[start:start + 5000])
            session.execute(insert(Resolution), resolutions[start:start + 5000])
    started = time.perf_counter()
    with session_scope(database.sessions) as session:
        for ticket, resolution in resolved_pairs(session):
            write_chunks(session, ticket_document(ticket, resolution), settings.chunk_chars)
    index_history(kb)
    print(f"indexed {history} tickets in {time.perf_counter() - started:.0f} s")


def index_history(kb) -> None:  # type: ignore[no-untyped-def]
    """Indexes the history's passages. BM25 tokens are each passage's own; a dense vector
    is computed once per distinct passage text: the copies differ only in their titles, and
    embedding 100k near-copies would take most of an hour on this CPU without changing
    what is timed (index size and search cost, not vector values)."""
    from weibao.kb.indexer import embedding_text, to_indexed
    from weibao.kb.models import Chunk

    index = kb.index
    with session_scope(kb.sessions) as session:
        rows = session.scalars(select(Chunk).where(Chunk.doc_kind == "ticket").order_by(Chunk.id)).all()
        chunks = [to_indexed(r, kb.tokenizer) for r in rows]
    distinct = sorted({(c.heading, c.text) for c in chunks})
    vectors = kb.embedder.encode([embedding_text("", h, t) for h, t in distinct])
    row_of = {key: i for i, key in enumerate(distinct)}
    index.replace_documents([], chunks, vectors[[row_of[(c.heading, c.text)] for c in chunks]])
    index.save(kb.settings.index_dir)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--folder", type=Path, default=Path("bench/out/tickets"))
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if not (args.reuse and (args.folder / "weibao.db").exists()):
        if (args.folder / "weibao.db").exists():
            raise SystemExit(f"{args.folder} exists; pass --reuse or remove it")
        build(args.folder, args.history, args.engineers)
    prepare_database(Settings(data_dir=args.folder))  # a folder built by an older version migrates
    started = time.perf_counter()
    services = open_services(Settings(data_dir=args.folder), long_running=True)  # as `serve` does
    print(f"start-up (index, graph of {services.kb.graph.stats()['nodes']} nodes): {time.perf_counter() - started:.1f} s")
    with session_scope(services.database.sessions) as session:
        count = session.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
    texts = [(t["hospital_id"], t["title"], t["description"])
             for t in yaml.safe_load((SEED_OPS / "tickets.yaml").read_text(encoding="utf-8"))]
    rng = random.Random(11)
    for hospital, title, description in rng.sample(texts, 10):  # warm-up
        services.desk.plan(TicketDraft(hospital_id=hospital, title=title, description=description))
    timings = []
    for hospital, title, description in rng.sample(texts, args.creates):
        t0 = time.perf_counter()
        services.desk.create(TicketDraft(hospital_id=hospital, title=title, description=description))
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    print(f"history tickets: {count}; engineers: {len(services.desk.engineers())}; creates: {len(timings)}")
    print(f"create+triage+assign p50 {statistics.median(timings):.1f} ms, "
          f"p99 {timings[int(0.99 * (len(timings) - 1))]:.1f} ms, max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
