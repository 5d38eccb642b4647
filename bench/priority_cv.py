"""Priority: rules alone against rules + learned model, leave one development set out.

Two steps:

1. `--inputs FILE` (once per code change of linking/triage): every ticket of the labelled
   development sets goes through the real ticket planning (masking, understanding,
   neighbours, triage) in the data folder of WEIBAO_DATA_DIR (`weibao init` first), and what
   triage hands the priority rules (text, system, symptom, department) is written to FILE.
2. `--cv FILE`: for each development set, the priority model is trained on the seed desk's
   resolved tickets (that data folder's database) and the other development sets, and tested
   on this one with the triage inputs of step 1; the rules alone are the baseline. Figures
   per set and language, two-levels-off counts and confusion matrices.

    export HF_HUB_OFFLINE=1; D=$(mktemp -d)
    WEIBAO_DATA_DIR=$D weibao init
    WEIBAO_DATA_DIR=$D python bench/priority_cv.py --inputs /tmp/priority_inputs.json
    WEIBAO_DATA_DIR=$D python bench/priority_cv.py --cv /tmp/priority_inputs.json

Only development sets are read: those in weibao.routing.training.PRIORITY_DEV_SETS and
heldout5 (measured blind at the end of round five, a development set since); `--sets` picks
among them. A blind set is never opened here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from weibao.routing.models import PRIORITIES
from weibao.routing.training import PRIORITY_DEV_SETS

LEVELS = PRIORITIES
# The development sets: the trained ones and heldout5 (measured blind once, tuned on since).
DEV_SETS: tuple[str, ...] = (*PRIORITY_DEV_SETS, *(s for s in ("heldout5",) if s not in PRIORITY_DEV_SETS))


def build_inputs(out: Path, sets: tuple[str, ...]) -> None:
    from sqlalchemy import select

    from weibao.bootstrap import open_services
    from weibao.core.accounts import Hospital
    from weibao.core.db import session_scope
    from weibao.core.settings import get_settings
    from weibao.routing import heldout, priority_model, triage
    from weibao.routing.planning import TicketDraft, plan_ticket

    settings = get_settings()
    services = open_services(settings)
    recorded: list[dict[str, Any]] = []

    def record(text: str, system: str | None, symptom: str | None, department: str | None,
               model: Any = None) -> Any:
        recorded.append({"text": text, "system": system, "symptom": symptom, "department": department})
        return priority_model.decide_priority(text, system, symptom, department, model)

    priority_model.use(None)
    triage.decide_priority = record  # type: ignore[assignment]
    rows: list[dict[str, Any]] = []
    with session_scope(services.desk.sessions) as session:
        hospital_id = session.scalars(select(Hospital.id).order_by(Hospital.id)).first()
        assert hospital_id is not None, "run `weibao init` first"
        for name in sets:
            for t in heldout.load_tickets(settings.eval_dir, name):
                recorded.clear()
                started = time.perf_counter()
                plan_ticket(session, services.desk.kb, TicketDraft(hospital_id=hospital_id, title=t.title,
                                                                     description=t.description))
                ms = (time.perf_counter() - started) * 1000
                assert len(recorded) == 1
                rows.append({"set": name, "lang": t.lang, "priority": t.priority, "plan_ms": round(ms, 2),
                             **recorded[0]})
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
    times = sorted(r["plan_ms"] for r in rows)
    print(f"{len(rows)} tickets written to {out}; plan_ticket p50 {times[len(times) // 2]:.1f} ms, "
          f"p90 {times[int(len(times) * 0.9)]:.1f} ms")


def _tally(pairs: list[tuple[str, str, str]]) -> dict[str, Any]:
    """pairs: (lang, truth, predicted) → exact per language, two-off, confusion."""
    out: dict[str, Any] = {}
    for lang in ("zh", "en", "all"):
        rows = [(t, p) for lg, t, p in pairs if lang in ("all", lg)]
        n = len(rows) or 1
        out[lang] = {"n": len(rows), "exact": round(sum(t == p for t, p in rows) / n, 3),
                     "two_off": sum(abs(LEVELS.index(t) - LEVELS.index(p)) >= 2 for t, p in rows)}
    confusion = Counter((t, p) for _, t, p in pairs)
    out["confusion"] = [[confusion[(t, p)] for p in LEVELS] for t in LEVELS]
    return out


def seed_samples(weight: float) -> list[Any]:
    from dataclasses import replace

    from weibao.core.db import Database, session_scope
    from weibao.core.settings import get_settings
    from weibao.routing.training import ticket_priority_samples

    database = Database(get_settings().resolved_database_url)
    with session_scope(database.sessions) as session:
        samples = ticket_priority_samples(session)
    return [replace(s, weight=weight) for s in samples]


def cross_validate(inputs: Path, sets: tuple[str, ...], seed_weight: float, margin: float,
                   c: float, ngram_weight: float = 1.0) -> dict[str, Any]:
    from weibao.core.settings import get_settings
    from weibao.routing import priority_model
    from weibao.routing.priority import decide
    from weibao.routing.training import devset_priority_samples

    rows = json.loads(inputs.read_text(encoding="utf-8"))
    seed = seed_samples(seed_weight) if seed_weight > 0 else []
    eval_dir = get_settings().eval_dir
    report: dict[str, Any] = {"seed_weight": seed_weight, "margin": margin, "C": c,
                              "ngram_weight": ngram_weight, "sets": {}}
    all_before: list[tuple[str, str, str]] = []
    all_after: list[tuple[str, str, str]] = []
    for held in sets:
        train_sets = tuple(s for s in sets if s != held)
        started = time.perf_counter()
        model, train_report = priority_model.train(
            [*seed, *devset_priority_samples(eval_dir, train_sets)], c=c, margin=margin, enabled=True,
            ngram_weight=ngram_weight)
        seconds = time.perf_counter() - started
        before: list[tuple[str, str, str]] = []
        after: list[tuple[str, str, str]] = []
        moved: Counter[str] = Counter()
        for r in (r for r in rows if r["set"] == held):
            rule = decide(r["text"], r["system"], r["symptom"], r["department"])
            adjusted = model.adjust(rule, r["text"], r["system"], r["symptom"], r["department"])
            before.append((r["lang"], r["priority"], rule.priority))
            after.append((r["lang"], r["priority"], adjusted.priority))
            if adjusted.priority != rule.priority:
                moved["right" if adjusted.priority == r["priority"] else
                      "wrong" if rule.priority == r["priority"] else "other"] += 1
        all_before += before
        all_after += after
        report["sets"][held] = {"trained_on": ["seed", *train_sets], "train_samples": train_report.samples,
                                "train_seconds": round(seconds, 2), "before": _tally(before),
                                "after": _tally(after), "moves": dict(moved)}
    report["pooled"] = {"before": _tally(all_before), "after": _tally(all_after)}
    return report


def latency(inputs: Path, sets: tuple[str, ...]) -> None:
    """p50/p99 of the rules alone and of rules + model (trained on every set, applied) per ticket."""
    import statistics

    from weibao.core.settings import get_settings
    from weibao.routing import priority_model
    from weibao.routing.priority import decide
    from weibao.routing.training import devset_priority_samples

    rows = json.loads(inputs.read_text(encoding="utf-8"))
    model, _ = priority_model.train([*seed_samples(1.0), *devset_priority_samples(get_settings().eval_dir, sets)],
                                    enabled=True)
    rules_ms, model_ms = [], []
    for _ in range(3):
        for r in rows:
            args = (r["text"], r["system"], r["symptom"], r["department"])
            started = time.perf_counter()
            decide(*args)
            rules_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            model.adjust(decide(*args), *args)
            model_ms.append((time.perf_counter() - started) * 1000)

    def q(values: list[float], share: float) -> float:
        return sorted(values)[int(len(values) * share)]

    print(f"priority per ticket over {len(rows)} tickets x3: rules p50 {statistics.median(rules_ms):.2f} ms "
          f"p99 {q(rules_ms, 0.99):.2f} ms; rules + model p50 {statistics.median(model_ms):.2f} ms "
          f"p99 {q(model_ms, 0.99):.2f} ms")



def _print(report: dict[str, Any]) -> None:
    print(f"seed weight {report['seed_weight']}, margin {report['margin']}, C {report['C']}, "
          f"n-gram weight {report['ngram_weight']}")

    def line(name: str, body: dict[str, Any]) -> None:
        b, a = body["before"], body["after"]
        print(f"{name:<9} rules {b['zh']['exact']:.3f}/{b['en']['exact']:.3f}/{b['all']['exact']:.3f} "
              f"two-off {b['all']['two_off']:>2}  ->  model {a['zh']['exact']:.3f}/{a['en']['exact']:.3f}/"
              f"{a['all']['exact']:.3f} two-off {a['all']['two_off']:>2}  (zh/en/all, n={b['all']['n']})"
              f"  moves {body.get('moves', '')}")
        print(f"{'':<9} confusion rules {b['confusion']}  model {a['confusion']}")

    for name, body in report["sets"].items():
        line(name, body)
    line("pooled", report["pooled"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=Path, help="write the triage inputs of every development ticket here")
    parser.add_argument("--cv", type=Path, help="leave-one-set-out cross-validation on these inputs")
    parser.add_argument("--seed-weight", type=float, default=1.0, help="weight of a seed desk ticket (0: none)")
    parser.add_argument("--margin", type=float, default=None)
    parser.add_argument("--C", dest="c", type=float, default=None)
    parser.add_argument("--ngram-weight", type=float, default=1.0, help="0: the rules' signals only")
    parser.add_argument("--latency", action="store_true", help="time the rules and rules + model on --cv's inputs")
    parser.add_argument("--sets", nargs="+", default=list(DEV_SETS), choices=DEV_SETS,
                        help="development sets to read (default: all of them)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sets = tuple(args.sets)
    if args.inputs:
        build_inputs(args.inputs, sets)
    if args.cv and args.latency:
        latency(args.cv, sets)
        return 0
    if args.cv:
        from weibao.routing.priority_model import DEFAULT_C, DEFAULT_MARGIN

        report = cross_validate(args.cv, sets, args.seed_weight,
                                DEFAULT_MARGIN if args.margin is None else args.margin,
                                DEFAULT_C if args.c is None else args.c, args.ngram_weight)
        if args.json:
            print(json.dumps(report, indent=1))
        else:
            _print(report)
    if not (args.inputs or args.cv):
        parser.error("give --inputs FILE and/or --cv FILE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
