"""Chat first citation on the development held-out sets: is the chat's first cited source
one of the query's expected articles?

    WEIBAO_DATA_DIR=... python bench/chat_citations.py [--sets heldout heldout5] [--misses]

Each query opens a fresh conversation (`Assistant.respond`, no generative step). Per set
and language:
- first cited: share of first replies whose first citation is an expected article (a
  follow-up question, "nothing reliable" or a ticket cited first count as misses);
- after follow-up: the same when a follow-up question is answered with the expected
  article's system (the labelled `system` of the query);
- search hit@1: the article search's first hit (`weibao heldout` figures) for reference;
- why the misses: clarify (asked a question), no answer, ticket first, other article.

Only development sets may be named (heldout .. heldout5), except with --final: the frozen
set's one measurement at the end of a round (figures only; --misses is refused with it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEV_SETS = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", nargs="*", default=list(DEV_SETS))
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--final", metavar="SET", help="the frozen held-out set, measured once at the end")
    args = parser.parse_args()
    if args.final:
        if args.misses:
            raise SystemExit("--final: figures only, no misses (nothing is tuned on the frozen set)")
        args.sets = [args.final]
    from weibao.bootstrap import open_services
    from weibao.chat.dialogue import SYSTEM_CHOICES, Assistant, State, TurnContext
    from weibao.core.settings import get_settings
    from weibao.kb.index import Filters
    from weibao.kb.search import SearchOptions
    from weibao.routing import heldout

    settings = get_settings()
    services = open_services(settings)
    kb = services.kb
    assistant = Assistant(kb, services.desk, min_confidence=settings.chat_min_confidence)
    ctx = TurnContext(all_hospitals=True)
    article_options = SearchOptions(top_k=10, filters=Filters(kinds=("article",)))
    for name in args.sets:
        if name not in DEV_SETS and name != args.final:
            raise SystemExit(f"{name}: only development sets {DEV_SETS}")
        tallies: dict[str, Counter[str]] = {}
        misses: list[str] = []
        for q in heldout.load_queries(settings.eval_dir, name):
            hits = kb.search_linked(q.q, article_options).hits
            state = State()
            reply = assistant.respond(state, q.q, ctx)
            first = reply.sources[0] if reply.sources else None
            ok = first is not None and first.kind == "article" and first.id in q.articles
            final = reply
            if reply.follow_up and q.system in SYSTEM_CHOICES:
                zh, en, _ = SYSTEM_CHOICES[q.system]
                final = assistant.respond(state, zh if reply.language == "zh" else en, ctx)
            final_first = final.sources[0] if final.sources else None
            ok_after = (final_first is not None and final_first.kind == "article"
                        and final_first.id in q.articles)
            if ok:
                why = "ok"
            elif reply.follow_up:
                why = "clarify"
            elif not reply.answered:
                why = "no_answer"
            elif first is not None and first.kind == "ticket":
                why = "ticket_first"
            else:
                why = "other_article"
            for key in ("all", q.lang):
                t = tallies.setdefault(key, Counter())
                t["n"] += 1
                t["first"] += ok
                t["after"] += ok_after
                t["search1"] += bool(hits) and hits[0].id in q.articles
                t[why] += 1
            if not ok:
                got = f"{first.kind}:{first.id}" if first is not None else "-"
                misses.append(f"  {q.lang} {why:<13} want {list(q.articles)} got {got} "
                              f"search1 {hits[0].id if hits else '-'}  {q.q!r}")
        print(f"== {name}")
        print(f"{'':<5}{'n':>5}{'first cited':>13}{'after f-up':>12}{'search@1':>10}   misses by cause")
        for key in ("all", "zh", "en"):
            row = tallies.get(key)
            if not row:
                continue
            n = row["n"]
            causes = "  ".join(f"{c} {row[c]}" for c in ("clarify", "no_answer", "ticket_first", "other_article"))
            print(f"{key:<5}{n:>5}{row['first'] / n:>13.3f}{row['after'] / n:>12.3f}"
                  f"{row['search1'] / n:>10.3f}   {causes}")
        if args.misses:
            print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
