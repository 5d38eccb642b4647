"""A learned multi-label classifier for systems and symptoms, beside the dictionary linker.

Character n-grams (1–3, which read Chinese without a segmenter and survive typos) and
Latin words (1–2) weighted by TF-IDF feed one logistic regression per label (one-vs-rest),
for systems and for symptoms apart. The dictionary linker stays the exact, explainable
source; the model adds recall on phrasing nobody wrote into the aliases, each label with
its probability (see `weibao.graph.ensemble`).

Masked patient data never becomes evidence: placeholders such as [病历号] are blanked
before the text is read, in training and in prediction alike.

Training data is assembled above this layer (`weibao.routing.training`): articles,
resolved tickets with their engineer-corrected labels, and the ontology's aliases.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from weibao.core.model_files import ModelSpec, read_model_file, write_model_file
from weibao.core.privacy import PLACEHOLDERS
from weibao.graph.english import stem
from weibao.graph.ontology import normalize
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

MODEL_KINDS: tuple[str, ...] = ("systems", "symptoms")
LABELS: dict[str, tuple[str, ...]] = {"systems": tuple(SYSTEMS), "symptoms": tuple(SYMPTOMS)}
MODEL_FILE = "understanding-model.pkl"
FORMAT_VERSION = 2
_PLACEHOLDER = re.compile("|".join(re.escape(normalize(p)) for p in PLACEHOLDERS))
# Digits carry no meaning of their own here (bed numbers, counts, times): one shape for all.
_DIGITS = re.compile(r"\d+")


def clean(text: str) -> str:
    """Normalized text with masking placeholders blanked and digit runs folded to "0"."""
    norm = normalize(text or "")
    if "[" in norm:
        norm = _PLACEHOLDER.sub(" ", norm)
    return _DIGITS.sub("0", norm)


def model_path(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / MODEL_FILE


@dataclass(frozen=True, slots=True)
class Sample:
    """One training text with its labels; a kind left out (None) is not trained on."""

    text: str
    systems: tuple[str, ...] | None = None
    symptoms: tuple[str, ...] | None = None
    source: str = ""

    def labels(self, kind: str) -> tuple[str, ...] | None:
        return self.systems if kind == "systems" else self.symptoms


@dataclass(slots=True)
class TrainReport:
    samples: dict[str, int]
    by_source: dict[str, int]
    seconds: float
    size_bytes: int = 0
    path: str = ""


@dataclass(slots=True)
class LabelModel:
    """The fitted vectoriser and per-kind classifiers; `predict` gives label → probability."""

    vectorizer: Any
    # Per kind: the fitted logistic regressions as one (features × labels) matrix and a
    # bias row, so that a prediction is one sparse product instead of a loop over fifteen
    # estimators (the ticket-create path is timed in milliseconds).
    weights: dict[str, np.ndarray]
    bias: dict[str, np.ndarray]
    labels: dict[str, tuple[str, ...]]
    trained_at: float = field(default_factory=time.time)
    counts: dict[str, int] = field(default_factory=dict)

    def predict(self, text: str) -> dict[str, dict[str, float]]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
        out: list[dict[str, dict[str, float]]] = [{} for _ in texts]
        if not texts:
            return out
        for text, result in zip(texts, out, strict=True):
            index, values = self.features(text)
            for kind, weights in self.weights.items():
                logits = values @ weights[index] + self.bias[kind]
                probs = 1.0 / (1.0 + np.exp(-logits))
                result[kind] = {label: float(p) for label, p in zip(self.labels[kind], probs, strict=True)}
        return out

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The TF-IDF row of `text` as (column indices, values): what the fitted
        vectoriser's transform gives, computed directly (sklearn's per-call overhead is
        several milliseconds for one short text)."""
        cleaned = clean(text)
        index: list[int] = []
        values: list[float] = []
        offset = 0
        for _, vectorizer in self.vectorizer.transformer_list:
            vocabulary = vectorizer.vocabulary_
            counts: dict[int, int] = {}
            for gram in vectorizer.build_analyzer()(cleaned):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if counts:
                columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                weight = (1.0 + np.log(tf)) * vectorizer.idf_[columns]
                weight /= np.linalg.norm(weight) or 1.0
                index.extend((columns + offset).tolist())
                values.extend(weight.tolist())
            offset += len(vocabulary)
        return np.asarray(index, dtype=np.int64), np.asarray(values, dtype=np.float32)

    def save(self, path: Path) -> int:
        """Writes atomically (a reader never sees half a file); returns the size in bytes."""
        return write_model_file(path, self, FORMAT_VERSION)


class ModelFileError(RuntimeError):
    pass


# The database's copy (trained_models, weibao.core.model_files); the file is its local copy.
STORED = ModelSpec("understanding", FORMAT_VERSION, LabelModel, "understanding model", ModelFileError)


def load_model(path: Path) -> LabelModel | None:
    """The model saved at `path` (the data folder's copy of the database's, written by
    `weibao train` or copied by weibao.core.model_files.ModelSync), or None when there is
    none yet."""
    return read_model_file(path, FORMAT_VERSION, LabelModel, "understanding model", ModelFileError)


_LATIN_WORD = re.compile(r"[a-z][a-z0-9_'\-]+")


# Negations read as one form however they are typed: "won't print", "will not print" and
# "wont print" all give "will not print"; "can't", "cant", "cannot" and "can not" give
# "can not" (people write all of them, the training phrasing only some). Leave-one-set-out
# it is neutral on the development sets (English F1 within 0.01 either way); kept because
# an unseen spelling of a negation otherwise matches nothing the model learned.
_NEGATED = {"can't": "can", "cant": "can", "cannot": "can", "won't": "will", "wont": "will",
            "don't": "do", "dont": "do", "doesn't": "do", "doesnt": "do", "didn't": "do",
            "didnt": "do", "isn't": "is", "isnt": "is", "aren't": "are", "wasn't": "was",
            "weren't": "were", "couldn't": "could", "couldnt": "could", "wouldn't": "would",
            "shouldn't": "should", "hasn't": "has", "haven't": "have", "hadn't": "had"}


def _words(text: str) -> Iterator[str]:
    for word in _LATIN_WORD.findall(text):
        word = word.strip("'-")
        base = _NEGATED.get(word)
        if base is None and word.endswith("n't") and len(word) > 3:
            base = word[:-3]
        if base is None:
            yield word
        else:
            yield base
            yield "not"


def english_words(text: str) -> list[str]:
    """The stems of a cleaned text's Latin words (negations spelt out), and each pair of
    neighbours."""
    stems = [stem(w) for w in _words(text)]
    return stems + [f"{a} {b}" for a, b in pairwise(stems)]


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        # char_wb keeps n-grams inside whitespace-separated runs: a Chinese clause is one
        # run, an English word another, so n-grams never straddle "HIS 卡".
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                                  min_df=2, max_features=60_000, dtype=np.float32)),
        # English words by their stem ("printed", "printing" -> "print"), alone and in pairs.
        ("words", TfidfVectorizer(analyzer=english_words, sublinear_tf=True, min_df=2,
                                  max_features=30_000, dtype=np.float32)),
    ])


def fit_logistic(
    x: Any, y: np.ndarray, c: float = 4.0, max_iter: int = 150, tol: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """One L2-regularised logistic regression per column of `y`, all fitted together.

    Minimises 0.5·|W|² + C·Σ binary cross-entropy (sklearn's LogisticRegression objective,
    intercepts not penalised) with a small L-BFGS of our own over the whole (features ×
    labels) matrix: the labels are independent, so the joint optimum is each label's, and
    an iteration is one sparse product for all of them. (A loop of per-label liblinear
    fits took minutes on 10k tickets, scipy's L-BFGS-B spends most of its time in its own
    bookkeeping at this size.) Returns (weights: features × labels, bias: labels), float32.
    """
    targets = y.astype(np.float64)
    xt = x.T.tocsr()
    n_features, n_labels = x.shape[1], targets.shape[1]

    def evaluate(w: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        z = np.asarray(x @ w) + b
        value = c * float(np.sum(np.logaddexp(0.0, z) - targets * z)) + 0.5 * float(np.sum(w * w))
        residual = c * (1.0 / (1.0 + np.exp(-z)) - targets)
        return value, np.asarray(xt @ residual) + w, residual.sum(axis=0)

    w = np.zeros((n_features, n_labels))
    b = np.zeros(n_labels)
    value, gw, gb = evaluate(w, b)
    start_norm = np.sqrt(np.sum(gw * gw) + np.sum(gb * gb)) or 1.0
    history: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]] = []
    for _ in range(max_iter):
        # Two-loop recursion: the search direction from the last few steps' curvature.
        qw, qb = gw.copy(), gb.copy()
        alphas = []
        for sw, sb, yw, yb, rho in reversed(history):
            alpha = rho * (np.sum(sw * qw) + np.sum(sb * qb))
            qw -= alpha * yw
            qb -= alpha * yb
            alphas.append(alpha)
        if history:
            sw, sb, yw, yb, _ = history[-1]
            gamma = (np.sum(sw * yw) + np.sum(sb * yb)) / (np.sum(yw * yw) + np.sum(yb * yb))
        else:
            gamma = 1.0 / start_norm
        qw *= gamma
        qb *= gamma
        for (sw, sb, yw, yb, rho), alpha in zip(history, reversed(alphas), strict=True):
            beta = rho * (np.sum(yw * qw) + np.sum(yb * qb))
            qw += (alpha - beta) * sw
            qb += (alpha - beta) * sb
        slope = -(np.sum(gw * qw) + np.sum(gb * qb))
        if slope >= 0:  # not a descent direction: restart from the gradient
            history.clear()
            qw, qb = gw / start_norm, gb / start_norm
            slope = -(np.sum(gw * qw) + np.sum(gb * qb))
        step = 1.0
        while True:  # backtracking (Armijo) line search
            new_w, new_b = w - step * qw, b - step * qb
            new_value, new_gw, new_gb = evaluate(new_w, new_b)
            if new_value <= value + 1e-4 * step * slope or step < 1e-8:
                break
            step *= 0.5
        sw, sb, yw, yb = new_w - w, new_b - b, new_gw - gw, new_gb - gb
        curvature = np.sum(sw * yw) + np.sum(sb * yb)
        if curvature > 1e-10:
            history.append((sw, sb, yw, yb, 1.0 / curvature))
            del history[:-10]
        w, b, value, gw, gb = new_w, new_b, new_value, new_gw, new_gb
        if np.sqrt(np.sum(gw * gw) + np.sum(gb * gb)) <= tol * start_norm:
            break
    return w.astype(np.float32), b.astype(np.float32)


# Inverse regularisation of the label model's logistic regressions. 4 -> 32: a long ticket
# spreads its TF-IDF weight over many words, and a strongly regularised model kept such
# texts below every threshold (English symptoms rarely reached 0.4). Chosen on all three
# development sets together (16, 32 and 64 were one plateau; see docs/understanding.md).
LABEL_C = 32.0


def train(samples: Iterable[Sample]) -> tuple[LabelModel, TrainReport]:
    """Fits the model; every label of the taxonomy gets a classifier (an unseen one says 0)."""
    started = time.perf_counter()
    samples = [s for s in samples if clean(s.text).strip()]
    if not samples:
        raise ValueError("no training samples")
    for kind in MODEL_KINDS:
        seen = {label for s in samples for label in s.labels(kind) or ()}
        missing = [label for label in LABELS[kind] if label not in seen]
        if missing:
            raise ValueError(f"{kind}: no training sample for {', '.join(missing)}")
    vectorizer = _vectorizer()
    # Transformed once for both kinds; each kind trains on the rows labelled for it.
    features = vectorizer.fit_transform([clean(s.text) for s in samples]).tocsr()
    index = {id(s): i for i, s in enumerate(samples)}
    weights: dict[str, np.ndarray] = {}
    bias: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for kind in MODEL_KINDS:
        labels = LABELS[kind]
        rows = [s for s in samples if s.labels(kind) is not None]
        counts[kind] = len(rows)
        if not rows:
            raise ValueError(f"no training samples for {kind}")
        y = np.zeros((len(rows), len(labels)), dtype=np.int8)
        for i, s in enumerate(rows):
            for label in s.labels(kind) or ():
                if label in labels:
                    y[i, labels.index(label)] = 1
        weights[kind], bias[kind] = fit_logistic(features[[index[id(s)] for s in rows]], y, c=LABEL_C)
    by_source: dict[str, int] = {}
    for s in samples:
        by_source[s.source or "other"] = by_source.get(s.source or "other", 0) + 1
    model = LabelModel(vectorizer, weights, bias, dict(LABELS), counts=counts)
    return model, TrainReport(counts, by_source, round(time.perf_counter() - started, 2))


def top(probabilities: Mapping[str, float], threshold: float) -> list[tuple[str, float]]:
    """Labels at or above `threshold`, most probable first."""
    return sorted(((k, p) for k, p in probabilities.items() if p >= threshold), key=lambda kv: (-kv[1], kv[0]))
