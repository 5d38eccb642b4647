"""Linking and triage with the label model trained on the development sets, leave one set out.

`weibao train` teaches the label model the labelled development sets
(weibao.routing.training.LABEL_DEV_SETS), so `weibao heldout --set` on one of them measures
a model that has read it. This bench gives the honest figure: for each development set the
model is trained on the data folder's desk (articles, resolved tickets), the ontology and
the *other* development sets, and linking (kb.understand) and triage (the real ticket
planning) are measured on the left-out set, per language. `--without-devsets` trains on the
desk and the ontology alone (the figures before the development sets were added).

`--fit-secondary` also fits the decision on the labels after the first
(weibao.graph.ensemble.SECONDARY_WEIGHTS) on those leave-one-set-out outputs: it prints
the constants fitted on all the sets, and the honest figure of the decision: fitted on
the outputs of all sets but one, measured on that one, beside the fixed thresholds.

    export HF_HUB_OFFLINE=1; D=$(mktemp -d)
    WEIBAO_DATA_DIR=$D weibao init
    WEIBAO_DATA_DIR=$D python bench/linking_cv.py [--sets heldout heldout2 ...]
        [--without-devsets] [--no-triage] [--fit-secondary] [--json]

Only the sets named (default LABEL_DEV_SETS) are read: never name a blind set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

# What one left-out set gives the decision: (ticket, the dictionary's result, the model's
# probabilities) per ticket.
Row = tuple[Any, Any, Mapping[str, Mapping[str, float]]]
KINDS = ("systems", "symptoms")
SECONDARY_C = 0.3


def secondary_rows(rows: Sequence[Row], kind: str) -> tuple[list[list[float]], list[int]]:
    """The decision's training rows: each candidate after the first, labelled right or not."""
    from weibao.graph.ensemble import language, merge, secondary_candidates

    x: list[list[float]] = []
    y: list[int] = []
    for ticket, raw, probs in rows:
        lang = language(ticket.text)
        first = merge(raw, probs, raw.ontology, lang=lang).ids(kind)[:1]
        if not first:
            continue
        expected = set(getattr(ticket, kind))
        for label, _, features in secondary_candidates(raw, probs.get(kind, {}), kind, first[0], lang):
            x.append(features)
            y.append(int(label in expected))
    return x, y


def fit_secondary(rows: Sequence[Row], c: float = SECONDARY_C) -> dict[str, tuple[tuple[float, ...], float]]:
    """Per kind: one L2 logistic regression over the candidates' features (sklearn's lbfgs)."""
    from sklearn.linear_model import LogisticRegression

    fitted = {}
    for kind in KINDS:
        x, y = secondary_rows(rows, kind)
        clf = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        fitted[kind] = (tuple(round(float(w), 4) for w in clf.coef_[0]), round(float(clf.intercept_[0]), 4))
    return fitted


@contextmanager
def secondary_weights(weights: Mapping[str, Any]) -> Iterator[None]:
    from weibao.graph import ensemble

    saved = dict(ensemble.SECONDARY_WEIGHTS)
    ensemble.SECONDARY_WEIGHTS.update(weights)
    try:
        yield
    finally:
        ensemble.SECONDARY_WEIGHTS.update(saved)


def link_scores(rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """Micro F1 and first-ranked accuracy per kind and language (as `weibao heldout`)."""
    from weibao.graph.ensemble import language, merge
    from weibao.routing.heldout import LinkTally

    tallies: dict[str, LinkTally] = {}
    for ticket, raw, probs in rows:
        merged = merge(raw, probs, raw.ontology, lang=language(ticket.text))
        for kind in KINDS:
            for lang in (ticket.lang, "all"):
                tallies.setdefault(f"{kind}/{lang}", LinkTally()).add(set(getattr(ticket, kind)), merged.ids(kind))
    return {key: tally.scores() for key, tally in sorted(tallies.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", help="development sets (default LABEL_DEV_SETS)")
    parser.add_argument("--without-devsets", action="store_true",
                        help="train on the desk and the ontology only (the baseline)")
    parser.add_argument("--no-triage", action="store_true", help="linking only (faster)")
    parser.add_argument("--fit-secondary", action="store_true",
                        help="fit the decision on the labels after the first (see above)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from weibao.bootstrap import open_services
    from weibao.core.db import session_scope
    from weibao.core.settings import get_settings
    from weibao.graph.classifier import train
    from weibao.graph.ensemble import EnsembleLinker
    from weibao.graph.linking import EntityLinker
    from weibao.routing import heldout
    from weibao.routing.training import LABEL_DEV_SETS, training_samples

    sets = tuple(args.sets or LABEL_DEV_SETS)
    settings = get_settings()
    services = open_services(settings)
    linker = services.kb.linker
    if not isinstance(linker, EnsembleLinker):
        raise SystemExit("the knowledge base has no ensemble linker")
    report: dict[str, Any] = {}
    outputs: dict[str, list[Row]] = {}
    for held in sets:
        others = () if args.without_devsets else tuple(s for s in sets if s != held)
        with session_scope(services.desk.sessions) as session:
            samples = training_samples(session, linker.ontology, settings.eval_dir, others)
        model, _ = train(samples)
        linker.model = model  # what kb.understand, triage and search read
        tickets = heldout.load_tickets(settings.eval_dir, held)
        outputs[held] = [(t, EntityLinker.link(linker, t.text), model.predict(t.text)) for t in tickets]
        row: dict[str, Any] = {"trained_on": list(others)}
        linking = heldout.evaluate_labeller(heldout.labeller_for(services.kb), tickets)
        row["linking"] = {k: v for k, v in linking.items() if k != "errors"}
        if not args.no_triage:
            triage = heldout.evaluate_triage(services.desk, tickets)
            row["triage"] = {k: triage[k] for k in ("zh", "en", "all")}
        report[held] = row
    if args.fit_secondary:
        fixed = {kind: None for kind in KINDS}
        for held in sets:
            fitted = fit_secondary([r for s in sets if s != held for r in outputs[s]])
            with secondary_weights(fixed):
                before = link_scores(outputs[held])
            with secondary_weights(fitted):
                after = link_scores(outputs[held])
            report[held]["secondary"] = {"fixed_thresholds": before, "fitted_on_the_others": after}
        report["secondary_weights"] = fit_secondary([r for s in sets for r in outputs[s]])
    if args.json:
        print(json.dumps(report, indent=1))
        return
    for held in sets:
        row = report[held]
        print(f"== {held} (model trained with {', '.join(row['trained_on']) or 'no development set'})")
        for key in ("systems/zh", "systems/en", "symptoms/zh", "symptoms/en"):
            s = row["linking"][key]
            line = f"   linking {key:<12} F1 {s['f1']:.3f}  top1 {s['top1']:.3f}  (n {s['n']})"
            if "secondary" in row:
                b, a = row["secondary"]["fixed_thresholds"][key], row["secondary"]["fitted_on_the_others"][key]
                line += f"   secondary decision: fixed {b['f1']:.3f} -> fitted on the others {a['f1']:.3f}"
            print(line)
        for lang in ("zh", "en"):
            if "triage" in row:
                t = row["triage"][lang]
                print(f"   triage  {lang}  system {t['system']:.3f}  symptom {t['symptom']:.3f}  (n {t['n']})")
    if "secondary_weights" in report:
        print("SECONDARY_WEIGHTS fitted on all the sets:")
        for kind, (coef, bias) in report["secondary_weights"].items():
            print(f'    "{kind}": (({", ".join(map(str, coef))}), {bias}),')


if __name__ == "__main__":
    main()
