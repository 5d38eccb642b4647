"""Search on the whole seed corpus: the examples of the issue, filters, and the eval target."""

from __future__ import annotations

import pytest

from weibao.kb.eval_report import search_eval_tables
from weibao.kb.index import Filters
from weibao.kb.search import SearchOptions
from weibao.routing import heldout


def test_clinician_phrase_for_images_finds_a_pacs_image_article(seeded_kb) -> None:  # type: ignore[no-untyped-def]
    hits = seeded_kb.search_linked("放射科电脑上看不了片子").hits[:3]
    assert any("pacs" in h.systems and "image_load" in h.symptoms for h in hits)
    assert hits[0].snippet.highlights, "the snippet marks the matching words"


def test_engineer_phrase_for_hl7_finds_the_integration_article_first(seeded_kb) -> None:  # type: ignore[no-untyped-def]
    hits = seeded_kb.search_linked("HL7 messages stuck in the integration engine").hits
    assert hits[0].id == "integration-001"


@pytest.mark.parametrize(
    "filters",
    [
        Filters(systems=("lis",)),
        Filters(symptoms=("print_failure",)),
        Filters(audience="engineer"),
        Filters(language="en"),
        Filters(systems=("terminal",), symptoms=("print_failure",), audience="clinician"),
    ],
)
def test_filters_only_return_matching_articles(seeded_kb, filters: Filters) -> None:  # type: ignore[no-untyped-def]
    hits = seeded_kb.search_linked("打印不出来 printer", SearchOptions(top_k=20, filters=filters)).hits
    assert hits
    assert all(filters.accepts(h) for h in hits)


def test_query_matching_nothing_returns_no_results(seeded_kb) -> None:  # type: ignore[no-untyped-def]
    assert seeded_kb.search_linked("zzzqqq", SearchOptions(mode="bm25")).hits == []


def test_hybrid_with_graph_meets_the_retrieval_targets(seeded_kb) -> None:  # type: ignore[no-untyped-def]
    tables = search_eval_tables(seeded_kb, seeded_kb.settings.eval_dir / "queries.yaml")
    hybrid = tables["hybrid+graph"]["all"]
    assert hybrid.hit_at_3 >= 0.93
    # The fused ranking is at least as good as each of its parts (with the graph, as search
    # runs). This set was written beside the alias lists, so BM25 alone does well on it;
    # the strict gain is checked on independent phrasing below.
    assert hybrid.hit_at_3 >= tables["bm25+graph"]["all"].hit_at_3
    assert hybrid.hit_at_3 > tables["dense"]["all"].hit_at_3
    colloquial = "zh/colloquial"
    assert tables["hybrid+graph"][colloquial].hit_at_3 > tables["hybrid"][colloquial].hit_at_3


def test_fusion_beats_its_parts_on_phrasing_written_without_the_aliases(seeded_kb) -> None:  # type: ignore[no-untyped-def]
    # data/eval/heldout: queries by people who never saw the alias lists, a development set
    # since the first measurement (the fresh held-out set, heldout2, is never read by tests).
    queries = heldout.load_queries(seeded_kb.settings.eval_dir, "heldout")
    report = heldout.evaluate_search(seeded_kb, queries)
    fused = report["hybrid+graph"]
    for lang in ("zh", "en"):
        assert fused[lang]["hit@3"] > report["bm25"][lang]["hit@3"], lang
    assert fused["all"]["hit@3"] > report["dense"]["all"]["hit@3"]
    assert fused["all"]["hit@3"] >= 0.9
