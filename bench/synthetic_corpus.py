"""A synthetic corpus for benchmarks: passages recombined from the seed articles.

Deterministic for a given seed. Each passage mixes sentences of several real articles,
so its length, script mix and vocabulary look like the real corpus at any size.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core.settings import REPO_DIR
from weibao.kb.chunking import chunk_markdown
from weibao.kb.documents import parse_article_file
from weibao.kb.index import IndexedChunk

_SPLIT = re.compile(r"(?<=[。！？；.!?])\s*|\n+")


def _sentence_pool() -> tuple[list[str], list[tuple[list[str], list[str], str, str, str]]]:
    sentences: list[str] = []
    metas = []
    for path in sorted((REPO_DIR / "data" / "seed_articles").glob("*.md")):
        article = parse_article_file(path)
        metas.append((article.systems, article.symptoms, article.audience, article.language, article.title))
        for passage in chunk_markdown(article.body):
            sentences.extend(s.strip() for s in _SPLIT.split(passage.text) if len(s.strip()) > 8)
    return sentences, metas


def synthetic_chunks(n: int, seed: int = 42, chars: int = 320) -> Iterator[IndexedChunk]:
    """n passages of about `chars` characters, 8 per synthetic document."""
    rng = random.Random(seed)
    sentences, metas = _sentence_pool()
    for i in range(n):
        systems, symptoms, audience, language, title = metas[rng.randrange(len(metas))]
        parts: list[str] = []
        while sum(len(p) for p in parts) < chars:
            parts.append(sentences[rng.randrange(len(sentences))])
        yield IndexedChunk(
            chunk_id=i + 1,
            doc_kind="article",
            doc_id=f"syn-{i // 8:06d}",
            title=f"{title} #{i // 8}",
            heading="",
            text=" ".join(parts),
            tokens=[],
            systems=list(systems),
            symptoms=list(symptoms),
            audience=audience,
            language=language,
        )


if __name__ == "__main__":
    for chunk in synthetic_chunks(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(chunk.doc_id, chunk.title, "|", chunk.text[:120])
