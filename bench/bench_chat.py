"""Chat latency per turn, without the optional generative step.

    python bench/bench_chat.py [--data-dir DIR] [--rounds 3]

Uses an initialised data folder (`weibao init`, or a scratch one built on first run),
chat storage in a scratch SQLite file, and scripted conversations: every labelled query
as a first turn, plus the follow-up / still-broken / ticket-status / greeting turns.
Prints p50 and p99 per turn kind and overall; the target is p50 <= 80 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.chat.dialogue import TurnContext
from weibao.chat.service import ChatService
from weibao.core import migrate
from weibao.core.db import Database
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.evaluation import load_queries

SCRIPTS = [
    ["你好", "打印不出来", "腕带", "还是不行"],
    ["检验报告打印不出来", "还是不行", "谢谢"],
    ["我的工单 T-2025-00001 到哪一步了", "status of T-2025-00002"],
    ["急诊分诊系统很卡", "HL7 messages stuck in the integration engine", "didn't help"],
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, help="an initialised WEIBAO_DATA_DIR")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from weibao.bootstrap import initialise_all, open_services

    data_dir = args.data_dir or Path(tempfile.gettempdir()) / "weibao-bench-chat"
    settings = Settings(data_dir=data_dir, seed_dir=REPO_DIR / "data" / "seed_articles")
    if not (data_dir / "weibao.db").exists():
        print(f"initialising {data_dir} (once)…", file=sys.stderr)
        initialise_all(settings)
    services = open_services(settings)
    chat_db = Database(f"sqlite:///{Path(tempfile.mkdtemp()) / 'chat.db'}")
    migrate.upgrade(chat_db.engine)
    service = ChatService(
        kb=services.kb, desk=services.desk, settings=settings.model_copy(update={"chat_llm_url": ""}),
        sessions=chat_db.sessions,
    )
    ctx = TurnContext(hospital_id="h-bjhd", ticket_scope="h-bjhd")
    queries = [q.q for q in load_queries(settings.eval_dir / "queries.yaml")]
    service.turn("warm-up printer offline")  # loads the embedding model's first batch
    timings: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        conversations = [[q] for q in queries] + SCRIPTS
        for script in conversations:
            session_id = None
            for message in script:
                started = time.perf_counter()
                turn = service.turn(message, session_id=session_id, ctx=ctx)
                elapsed = (time.perf_counter() - started) * 1000
                session_id = turn.session_id
                timings.setdefault(turn.reply.intent, []).append(elapsed)
    every = [t for values in timings.values() for t in values]
    print(f"chat turns: {len(every)} over {args.rounds} rounds (no generative step)")
    print(f"{'kind':<16}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for kind, values in sorted(timings.items()):
        print(f"{kind:<16}{len(values):>6}{statistics.median(values):>10.1f}{percentile(values, 99):>10.1f}")
    p50 = statistics.median(every)
    print(f"{'all':<16}{len(every):>6}{p50:>10.1f}{percentile(every, 99):>10.1f}")
    print(f"target p50 <= 80 ms: {'met' if p50 <= 80 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
