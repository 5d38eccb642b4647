"""Training time and prediction latency of the understanding model (weibao.graph.classifier).

Usage: python bench/bench_understanding.py [--tickets 10000] [--rounds 500]

Training set: the seed's resolved tickets (data/seed_ops/tickets.yaml) repeated with a
numbered suffix until `--tickets` (distinct texts, the vocabulary of a real desk), plus the
ontology's aliases, as `weibao train` builds it (without the database's articles). Reports
the wall time of one training run, the model file's size, and the p50/p99 of
`EnsembleLinker.link` (dictionary + model) over the labelled linking phrases.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from weibao.graph.classifier import Sample, model_path, train
from weibao.graph.ensemble import EnsembleLinker
from weibao.graph.ontology import load_ontology
from weibao.routing.training import alias_samples

ROOT = Path(__file__).resolve().parents[1]


def ticket_samples(n: int) -> list[Sample]:
    items = yaml.safe_load((ROOT / "data/seed_ops/tickets.yaml").read_text(encoding="utf-8"))
    out = []
    for i in range(n):
        t = items[i % len(items)]
        text = f"{t['title']}\n{t.get('description') or ''} #{i // len(items)}"
        out.append(Sample(text, (t["system"],), (t["symptom"],), "ticket"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    ontology = load_ontology()
    samples = [*ticket_samples(args.tickets), *alias_samples(ontology)]
    started = time.perf_counter()
    model, _ = train(samples)
    seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        size = model.save(model_path(Path(folder)))
    print(f"machine: {os.cpu_count()} cores; training on {args.tickets} tickets + "
          f"{len(samples) - args.tickets} aliases: {seconds:.1f} s; model file {size / 1e6:.1f} MB")
    phrases = [str(i["text"]) for i in yaml.safe_load((ROOT / "data/eval/linking.yaml").read_text(encoding="utf-8"))]
    linker = EnsembleLinker(ontology, model=model)
    for phrase in phrases:
        linker.link(phrase)
    times = []
    for i in range(args.rounds):
        phrase = phrases[i % len(phrases)]
        t0 = time.perf_counter()
        linker.link(phrase)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"EnsembleLinker.link over {args.rounds} calls: p50 {statistics.median(times):.2f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms")


if __name__ == "__main__":
    main()
