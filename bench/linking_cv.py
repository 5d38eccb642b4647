"""Linking and triage with the label model trained on the development sets, leave one set out.

`weibao train` teaches the label model the labelled development sets
(weibao.routing.training.LABEL_DEV_SETS), so `weibao heldout --set` on one of them measures
a model that has read it. This bench gives the honest figure: for each development set the
model is trained on the data folder's desk (articles, resolved tickets), the ontology and
the *other* development sets, and linking (kb.understand) and triage (the real ticket
planning) are measured on the left-out set, per language. `--without-devsets` trains on the
desk and the ontology alone (the figures before the development sets were added).

    export HF_HUB_OFFLINE=1; D=$(mktemp -d)
    WEIBAO_DATA_DIR=$D weibao init
    WEIBAO_DATA_DIR=$D python bench/linking_cv.py [--without-devsets] [--json]

Only the sets in LABEL_DEV_SETS are read: a blind set is never opened here.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without-devsets", action="store_true",
                        help="train on the desk and the ontology only (the baseline)")
    parser.add_argument("--no-triage", action="store_true", help="linking only (faster)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from weibao.bootstrap import open_services
    from weibao.core.db import session_scope
    from weibao.core.settings import get_settings
    from weibao.graph.classifier import train
    from weibao.routing import heldout
    from weibao.routing.training import LABEL_DEV_SETS, training_samples

    settings = get_settings()
    services = open_services(settings)
    linker = services.kb.linker
    report: dict[str, Any] = {}
    for held in LABEL_DEV_SETS:
        others = () if args.without_devsets else tuple(s for s in LABEL_DEV_SETS if s != held)
        with session_scope(services.desk.sessions) as session:
            samples = training_samples(session, linker.ontology, settings.eval_dir, others)
        model, _ = train(samples)
        linker.model = model  # what kb.understand, triage and search read
        tickets = heldout.load_tickets(settings.eval_dir, held)
        row: dict[str, Any] = {"trained_on": list(others)}
        linking = heldout.evaluate_labeller(heldout.labeller_for(services.kb), tickets)
        row["linking"] = {k: v for k, v in linking.items() if k != "errors"}
        if not args.no_triage:
            triage = heldout.evaluate_triage(services.desk, tickets)
            row["triage"] = {k: triage[k] for k in ("zh", "en", "all")}
        report[held] = row
    if args.json:
        print(json.dumps(report, indent=1))
        return
    for held, row in report.items():
        print(f"== {held} (model trained with {', '.join(row['trained_on']) or 'no development set'})")
        for key in ("systems/zh", "systems/en", "symptoms/zh", "symptoms/en"):
            s = row["linking"][key]
            print(f"   linking {key:<12} F1 {s['f1']:.3f}  top1 {s['top1']:.3f}  (n {s['n']})")
        for lang in ("zh", "en"):
            if "triage" in row:
                t = row["triage"][lang]
                print(f"   triage  {lang}  system {t['system']:.3f}  symptom {t['symptom']:.3f}  (n {t['n']})")


if __name__ == "__main__":
    main()
