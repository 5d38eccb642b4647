"""The graph service over a stand-in database: build, apply one change, refresh, listen."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import nullcontext
from typing import Any, ClassVar

import pytest

from weibao.graph.knowledge_graph import ArticleRecord, FixRecord, TicketRecord
from weibao.graph.service import (
    ArticleRemoved,
    ArticleUpserted,
    GraphService,
    TicketRemoved,
    TicketResolved,
)


class FakeDatabase:
    """What `DatabaseGraphSource` reads, held in dicts: published articles, resolved tickets."""

    def __init__(self) -> None:
        self.articles_by_id: dict[str, ArticleRecord] = {}
        self.tickets_by_code: dict[str, TicketRecord] = {}
        self.reads = 0

    def articles(self, session: Any, ids: Collection[str] | None = None) -> list[ArticleRecord]:
        self.reads += 1
        keys = sorted(self.articles_by_id if ids is None else set(ids) & set(self.articles_by_id))
        return [self.articles_by_id[k] for k in keys]

    def tickets(self, session: Any, codes: Collection[str] | None = None) -> list[TicketRecord]:
        self.reads += 1
        keys = sorted(self.tickets_by_code if codes is None else set(codes) & set(self.tickets_by_code))
        return [self.tickets_by_code[k] for k in keys]


def article(article_id: str, fix: str, system: str = "pacs", symptom: str = "image_load") -> ArticleRecord:
    return ArticleRecord(article_id, f"title {article_id}", [system], [symptom], ["radiology"],
                         [FixRecord(fix, f"fix {fix}")])


def ticket(code: str, fix: str, engineer: str = "eng-a", system: str = "pacs",
           symptom: str = "image_load") -> TicketRecord:
    return TicketRecord(code, f"ticket {code}", system, symptom, "radiology", (fix,), engineer,
                        f"name of {engineer}")


@pytest.fixture
def db() -> FakeDatabase:
    db = FakeDatabase()
    db.articles_by_id["pacs-001"] = article("pacs-001", "fix-cache")
    for i in range(3):
        db.tickets_by_code[f"T-{i}"] = ticket(f"T-{i}", "fix-cache")
    db.tickets_by_code["T-9"] = ticket("T-9", "fix-restart", engineer="eng-b")
    return db


@pytest.fixture
def service(db: FakeDatabase) -> GraphService:
    service = GraphService(db, sessions=lambda: nullcontext())  # type: ignore[arg-type,return-value]
    service.rebuild()
    return service


def counts(service: GraphService) -> dict[str, tuple[int, int]]:
    return {r["fix_id"]: (r["article_count"], r["ticket_count"])
            for r in service.related("pacs", "image_load", limit=0)}


def test_build_from_database_has_articles_tickets_and_engineers(service: GraphService) -> None:
    assert counts(service) == {"fix-cache": (1, 3), "fix-restart": (0, 1)}
    assert service.engineer_history("pacs", "image_load") == {"eng-a": 3, "eng-b": 1}
    top = service.related("pacs", "image_load")[0]
    assert top["engineers"] == [{"id": "eng-a", "name": "name of eng-a", "count": 3}]
    assert service.articles_about(["pacs"], []) == {"pacs-001": ({"pacs"}, set())}
    assert service.neighbourhood("pacs")["articles"] == [{"id": "pacs-001", "title": "title pacs-001"}]
    assert service.built and service.stats()["nodes_by_type"]["engineer"] == 2


def test_refreshing_an_article_never_drops_ticket_or_engineer_facts(
    service: GraphService, db: FakeDatabase
) -> None:
    """The bug of issue 12: a reload rebuilt the graph from the articles only."""
    db.articles_by_id["pacs-002"] = article("pacs-002", "fix-new")
    assert service.refresh({("article", "pacs-002")}) == 1
    assert counts(service) == {"fix-cache": (1, 3), "fix-restart": (0, 1), "fix-new": (1, 0)}
    assert service.engineer_history("pacs", "image_load") == {"eng-a": 3, "eng-b": 1}
    service.rebuild()  # a full rebuild is from the database too: the same facts
    assert counts(service) == {"fix-cache": (1, 3), "fix-restart": (0, 1), "fix-new": (1, 0)}


def test_refresh_applies_what_the_database_says_now(service: GraphService, db: FakeDatabase) -> None:
    db.tickets_by_code["T-10"] = ticket("T-10", "fix-restart", engineer="eng-b")
    del db.articles_by_id["pacs-001"]  # unpublished or deleted
    del db.tickets_by_code["T-0"]  # no resolution any more
    applied = service.refresh({("ticket", "T-10"), ("article", "pacs-001"), ("ticket", "T-0")})
    assert applied == 3
    assert counts(service) == {"fix-cache": (0, 2), "fix-restart": (0, 2)}
    assert service.engineer_history("pacs", "image_load") == {"eng-a": 2, "eng-b": 2}
    assert service.articles_about(["pacs"], []) == {}
    assert service.refresh(set()) == 0


def test_apply_is_idempotent_and_covers_every_change(service: GraphService) -> None:
    for _ in range(2):
        service.apply(TicketResolved(ticket("T-20", "fix-cache", engineer="eng-c")))
    assert counts(service)["fix-cache"] == (1, 4)
    assert service.engineer_history("pacs", "image_load")["eng-c"] == 1
    service.apply(TicketRemoved("T-20"))
    service.apply(TicketRemoved("T-unknown"))
    assert "eng-c" not in service.engineer_history("pacs", "image_load")
    service.apply(ArticleUpserted(article("pacs-001", "fix-other")))
    assert counts(service)["fix-other"] == (1, 0) and counts(service)["fix-cache"] == (0, 3)
    service.apply(ArticleRemoved("pacs-001"))
    assert "fix-other" not in counts(service)


def test_a_change_applied_during_a_build_survives_the_swap(db: FakeDatabase) -> None:
    service = GraphService(db, sessions=lambda: nullcontext())  # type: ignore[arg-type,return-value]
    real_tickets = db.tickets

    def tickets_then_a_concurrent_resolve(session: Any, codes: Collection[str] | None = None):  # type: ignore[no-untyped-def]
        rows = real_tickets(session, codes)
        service.apply(TicketResolved(ticket("T-late", "fix-cache", engineer="eng-late")))
        return rows

    db.tickets = tickets_then_a_concurrent_resolve  # type: ignore[method-assign]
    service.rebuild()
    assert service.engineer_history("pacs", "image_load")["eng-late"] == 1


def test_listens_to_a_knowledge_base_that_reports_changes(service: GraphService, db: FakeDatabase) -> None:
    class KB:
        listeners: ClassVar[list[Callable[[set[tuple[str, str]]], None]]] = []

        def add_listener(self, fn: Callable[[set[tuple[str, str]]], None]) -> None:
            self.listeners.append(fn)

    kb = KB()
    assert service.listen_to(kb) and service.listening
    db.tickets_by_code["T-11"] = ticket("T-11", "fix-cache")
    for fn in kb.listeners:
        fn({("ticket", "T-11")})
    assert counts(service)["fix-cache"] == (1, 4)
    assert not GraphService().listen_to(kb)  # no database source: nothing to re-read
    assert not GraphService(db, lambda: nullcontext()).listen_to(object())  # type: ignore[arg-type,return-value]


def test_a_service_without_a_source_still_answers_and_applies() -> None:
    service = GraphService()
    service.upsert_article(article("pacs-001", "fix-cache"))
    service.add_ticket(ticket("T-1", "fix-cache"))
    assert counts(service) == {"fix-cache": (1, 1)}
    assert service.refresh({("article", "pacs-001")}) == 0
    with pytest.raises(RuntimeError):
        service.rebuild()
