"""Precision and recall of entity linking against labelled phrases (data/eval/linking.yaml)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from weibao.graph.linking import EntityLinker

EVAL_KINDS: tuple[str, ...] = ("systems", "symptoms")
DEFAULT_EVAL_FILE = Path(__file__).resolve().parents[2] / "data" / "eval" / "linking.yaml"


def load_linking_items(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The labelled phrases: a YAML list of {text, systems: [...], symptoms: [...]}."""
    data = yaml.safe_load(Path(path or DEFAULT_EVAL_FILE).read_text(encoding="utf-8")) or []
    if isinstance(data, Mapping):
        data = data.get("items", [])
    return [dict(item) for item in data]


def _expected(item: Mapping[str, Any], kind: str) -> set[str]:
    value = item.get(kind, item.get(kind.rstrip("s"), []))
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)


def evaluate_linking(
    linker: EntityLinker,
    items: Iterable[Mapping[str, Any]],
    kinds: Iterable[str] = EVAL_KINDS,
    *,
    include_implied: bool = False,
) -> dict[str, Any]:
    """Micro-averaged precision, recall and F1 over ids, per kind and overall.

    Returns {kind: {precision, recall, f1, tp, fp, fn}, "micro": {...}, "n": items,
    "errors": [{text, kind, missing, extra}]} — the errors name what to fix in the aliases.
    Systems only implied by a department (放射科 → pacs) are hints, not mentions: they are
    left out unless `include_implied`.
    """
    kinds = tuple(kinds)
    counts = {kind: {"tp": 0, "fp": 0, "fn": 0} for kind in kinds}
    errors: list[dict[str, Any]] = []
    n = 0
    for item in items:
        n += 1
        text = str(item.get("text") or item.get("phrase") or item.get("query") or "")
        result = linker.link(text)
        for kind in kinds:
            expected = _expected(item, kind)
            found = {m.id for m in result.of(kind) if include_implied or not m.implied}
            c = counts[kind]
            c["tp"] += len(expected & found)
            c["fp"] += len(found - expected)
            c["fn"] += len(expected - found)
            if expected != found:
                errors.append(
                    {
                        "text": text,
                        "kind": kind,
                        "missing": sorted(expected - found),
                        "extra": sorted(found - expected),
                    }
                )
    report: dict[str, Any] = {kind: _scores(**counts[kind]) for kind in kinds}
    report["micro"] = _scores(
        tp=sum(c["tp"] for c in counts.values()),
        fp=sum(c["fp"] for c in counts.values()),
        fn=sum(c["fn"] for c in counts.values()),
    )
    report["n"] = n
    report["errors"] = errors
    return report


def _scores(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


if __name__ == "__main__":  # python -m weibao.graph.evaluation [path]
    import sys

    report = evaluate_linking(
        EntityLinker(), load_linking_items(sys.argv[1] if len(sys.argv) > 1 else None)
    )
    for kind in (*EVAL_KINDS, "micro"):
        print(kind, report[kind])
    for err in report["errors"]:
        print(f"  {err['kind']:<9} missing={err['missing']} extra={err['extra']}  {err['text']}")
