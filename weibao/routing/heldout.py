"""`weibao eval --heldout`: linking, triage and search on the frozen held-out set.

The set (data/eval/heldout/) was written before any model change by people who never saw
the alias lists; nothing trains or tunes on it. Figures are reported per language (mixed
Chinese/English texts count as Chinese) so that an English gap cannot hide in the mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.index import Filters
from weibao.kb.search import SearchOptions
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.routing.models import PRIORITIES
from weibao.routing.planning import TicketDraft, plan_ticket

HELDOUT_DIR = "heldout"
KINDS = ("systems", "symptoms")

# text -> {"systems": ranked ids, "symptoms": ranked ids}
Labeller = Callable[[str], Mapping[str, Sequence[str]]]


@dataclass(frozen=True, slots=True)
class HeldOutTicket:
    title: str
    description: str
    systems: tuple[str, ...]
    symptoms: tuple[str, ...]
    priority: str
    lang: str  # "zh" or "en"; mixed texts count as Chinese

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}".strip()


@dataclass(frozen=True, slots=True)
class HeldOutQuery:
    q: str
    system: str
    symptom: str
    articles: tuple[str, ...]
    lang: str


def _lang(value: object) -> str:
    return "en" if value == "en" else "zh"


def load_tickets(eval_dir: Path, name: str = HELDOUT_DIR) -> list[HeldOutTicket]:
    items = yaml.safe_load((eval_dir / name / "tickets.yaml").read_text(encoding="utf-8")) or []
    tickets = []
    for i, item in enumerate(items):
        systems, symptoms = tuple(item.get("systems") or ()), tuple(item.get("symptoms") or ())
        if not set(systems) <= set(SYSTEMS) or not set(symptoms) <= set(SYMPTOMS):
            raise ValueError(f"held-out ticket {i}: unknown system or symptom id")
        if item.get("priority") not in PRIORITIES:
            raise ValueError(f"held-out ticket {i}: priority must be one of {PRIORITIES}")
        tickets.append(HeldOutTicket(str(item["title"]), str(item.get("description") or ""),
                                     systems, symptoms, item["priority"], _lang(item.get("lang"))))
    return tickets


def load_queries(eval_dir: Path, name: str = HELDOUT_DIR) -> list[HeldOutQuery]:
    items = yaml.safe_load((eval_dir / name / "queries.yaml").read_text(encoding="utf-8")) or []
    return [HeldOutQuery(str(item["q"]), item["system"], item["symptom"], tuple(item["articles"]),
                         _lang(item.get("lang"))) for item in items]


@dataclass(slots=True)
class LinkTally:
    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    top1: int = 0

    def add(self, expected: set[str], found: Sequence[str]) -> None:
        self.n += 1
        self.tp += len(expected & set(found))
        self.fp += len(set(found) - expected)
        self.fn += len(expected - set(found))
        # First-ranked right: the top label is one of the expected, or nothing when none is.
        self.top1 += (found[0] in expected) if found else not expected

    def scores(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"n": self.n, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                "top1": round(self.top1 / self.n, 3) if self.n else 0.0}


def evaluate_labeller(labeller: Labeller, tickets: Iterable[HeldOutTicket]) -> dict[str, Any]:
    """Micro P/R/F1 and first-ranked accuracy per kind and language, with the misses."""
    tallies: dict[tuple[str, str], LinkTally] = {}
    errors: list[str] = []
    for t in tickets:
        found = labeller(t.text)
        for kind in KINDS:
            expected = set(getattr(t, kind))
            got = list(found.get(kind, ()))
            for lang in (t.lang, "all"):
                tallies.setdefault((kind, lang), LinkTally()).add(expected, got)
            if expected != set(got):
                errors.append(f"{kind:<8} want {sorted(expected)} got {got}  {t.text[:60]!r}")
    return {f"{kind}/{lang}": tally.scores() for (kind, lang), tally in sorted(tallies.items())} | {
        "errors": errors}


@dataclass(slots=True)
class TriageTally:
    n: int = 0
    system: int = 0
    symptom: int = 0
    priority: int = 0
    two_off: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)


def evaluate_triage(desk: TicketDesk, tickets: Iterable[HeldOutTicket]) -> dict[str, Any]:
    """Triage through the real ticket planning (masking, understanding, neighbours, rules).

    System and symptom count as right when triage's one value is among the labels; for a
    ticket labelled with no system, only "no system" is right (never an invented one).
    """
    tallies: dict[str, TriageTally] = {"zh": TriageTally(), "en": TriageTally(), "all": TriageTally()}
    misses: list[str] = []
    with session_scope(desk.sessions) as session:
        hospital_id = session.scalars(select(Hospital.id).order_by(Hospital.id)).first()
        if hospital_id is None:
            raise ValueError("no hospital in the database: run `weibao init` first")
        for t in tickets:
            plan = plan_ticket(session, desk.kb, TicketDraft(hospital_id=hospital_id, title=t.title,
                                                               description=t.description))
            got = plan.triage
            sys_ok = got.system in t.systems if t.systems else got.system is None
            sym_ok = got.symptom in t.symptoms if t.symptoms else got.symptom is None
            off = abs(PRIORITIES.index(plan.priority) - PRIORITIES.index(t.priority))
            for key in (t.lang, "all"):
                tally = tallies[key]
                tally.n += 1
                tally.system += sys_ok
                tally.symptom += sym_ok
                tally.priority += off == 0
                tally.two_off += off >= 2
                tally.confusion[(t.priority, plan.priority)] += 1
            if not (sys_ok and sym_ok and off == 0):
                misses.append(f"want {list(t.systems)}/{list(t.symptoms)}/{t.priority} got "
                              f"{got.system}/{got.symptom}/{plan.priority} ({got.priority_rule})  "
                              f"{t.text[:60]!r}")
    report: dict[str, Any] = {}
    for key, tally in tallies.items():
        n = tally.n or 1
        report[key] = {"n": tally.n, "system": round(tally.system / n, 3),
                       "symptom": round(tally.symptom / n, 3),
                       "priority": round(tally.priority / n, 3), "two_levels_off": tally.two_off}
    report["confusion"] = {f"{want}->{got}": c for (want, got), c in sorted(tallies["all"].confusion.items())}
    report["misses"] = misses
    return report


def evaluate_search(kb: KnowledgeBase, queries: Iterable[HeldOutQuery]) -> dict[str, Any]:
    """Article hit@3 and MRR@10 per language, for the fused search with the graph and dense only."""
    configs = {"hybrid+graph": ("hybrid", True), "dense": ("dense", False), "bm25": ("bm25", False)}
    report: dict[str, Any] = {}
    queries = list(queries)
    for name, (mode, graph) in configs.items():
        options = SearchOptions(top_k=10, mode=mode, use_graph=graph, filters=Filters(kinds=("article",)))
        sums: dict[str, list[float]] = {}
        for q in queries:
            hits = kb.search_linked(q.q, options).hits[:10]
            rank = next((i for i, h in enumerate(hits, start=1) if h.id in q.articles), None)
            for key in (q.lang, "all"):
                row = sums.setdefault(key, [0, 0.0, 0.0])
                row[0] += 1
                row[1] += rank is not None and rank <= 3
                row[2] += 1 / rank if rank else 0.0
        report[name] = {key: {"n": int(n), "hit@3": round(h3 / n, 3), "mrr": round(rr / n, 3)}
                        for key, (n, h3, rr) in sorted(sums.items())}
    return report


def format_report(report: Mapping[str, Any], verbose: bool = False) -> str:
    lines: list[str] = []
    for section, body in report.items():
        lines.append(f"== {section}")
        for key, value in body.items():
            if key in ("errors", "misses"):
                if verbose:
                    lines.extend(f"   {line}" for line in value)
                else:
                    lines.append(f"   {key}: {len(value)} (-v to list)")
            else:
                lines.append(f"   {key:<18} {value}")
    return "\n".join(lines)


def labeller_for(kb: KnowledgeBase) -> Labeller:
    """The labels `kb.understand` gives a text: what triage, search and chat all read."""

    def label(text: str) -> dict[str, list[str]]:
        understood = kb.understand(text)
        return {"systems": list(understood.systems), "symptoms": list(understood.symptoms)}

    return label
