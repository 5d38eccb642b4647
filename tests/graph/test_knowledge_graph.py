import pytest

from weibao.graph.knowledge_graph import ArticleRecord, FixRecord, KnowledgeGraph, TicketRecord


def article(aid, systems=("pacs",), symptoms=("image_load",), fixes=(), departments=(), title=None):
    return ArticleRecord(
        id=aid,
        title=title or f"article {aid}",
        systems=list(systems),
        symptoms=list(symptoms),
        departments=list(departments),
        fixes=[FixRecord(f, f"fix {f}") for f in fixes],
    )


def ticket(tid, fix_ids, system="pacs", symptom="image_load", engineer=("e1", "张工")):
    return TicketRecord(
        id=tid,
        title=f"ticket {tid}",
        system=system,
        symptom=symptom,
        department="radiology",
        fix_ids=list(fix_ids),
        engineer_id=engineer[0],
        engineer_name=engineer[1],
    )


@pytest.fixture
def kg():
    return KnowledgeGraph().build(
        [
            article("pacs-001", fixes=["fix-cache", "fix-network"], departments=["radiology"]),
            article("pacs-002", fixes=["fix-cache"]),
            article("pacs-003", symptoms=("login_failure",), fixes=["fix-password"]),
            article("his-001", systems=("his",), symptoms=("slow",), fixes=["fix-index"]),
        ]
    )


def test_build_creates_typed_nodes_and_edges(kg):
    g = kg.graph
    assert g.nodes["system:pacs"]["type"] == "system"
    assert g.nodes["article:pacs-001"]["title"] == "article pacs-001"
    assert g.has_edge("article:pacs-001", "system:pacs", "covers")
    assert g.has_edge("article:pacs-001", "symptom:image_load", "has_symptom")
    assert g.has_edge("article:pacs-001", "department:radiology", "for_department")
    assert g.has_edge("article:pacs-001", "fix:fix-cache", "describes")
    edge = g.edges["fix:fix-cache", "symptom:image_load", "resolves:pacs:image_load"]
    assert (edge["system"], edge["symptom"], edge["count"]) == ("pacs", "image_load", 2)


def test_stats_count_nodes_by_type_and_edges_by_relation(kg):
    stats = kg.stats()
    assert stats["nodes_by_type"]["article"] == 4
    assert stats["nodes_by_type"]["fix"] == 4
    assert stats["edges_by_rel"]["covers"] == 4
    assert stats["edges_by_rel"]["resolves"] == 4


def test_related_ranks_fixes_by_how_often_they_worked(kg):
    ranked = kg.related(system="pacs", symptom="image_load")
    assert [r["fix_id"] for r in ranked] == ["fix-cache", "fix-network"]
    assert ranked[0]["count"] == 2
    assert [a["id"] for a in ranked[0]["articles"]] == ["pacs-001", "pacs-002"]


def test_related_tickets_add_counts_and_reorder_the_ranking(kg):
    for i in range(3):
        kg.add_ticket(ticket(f"T{i}", ["fix-network"], engineer=("e7", "李工")))
    ranked = kg.related(system="pacs", symptom="image_load")
    assert [r["fix_id"] for r in ranked] == ["fix-network", "fix-cache"]
    top = ranked[0]
    assert (top["count"], top["article_count"], top["ticket_count"]) == (4, 1, 3)
    assert top["engineers"] == [{"id": "e7", "name": "李工", "count": 3}]


def test_related_same_ticket_added_twice_counts_once(kg):
    kg.add_ticket(ticket("T1", ["fix-network"]))
    kg.add_ticket(ticket("T1", ["fix-network"]))
    assert kg.related("pacs", "image_load")[1]["count"] == 2


def test_related_by_system_only_or_symptom_only(kg):
    assert {r["fix_id"] for r in kg.related(system="pacs")} == {
        "fix-cache",
        "fix-network",
        "fix-password",
    }
    assert [r["fix_id"] for r in kg.related(symptom="slow")] == ["fix-index"]
    assert kg.related(system="lis") == []


def test_related_fix_known_only_from_a_ticket(kg):
    kg.add_ticket(ticket("T9", ["fix-reboot"], system="lis", symptom="outage"))
    ranked = kg.related(system="lis")
    assert ranked[0]["fix_id"] == "fix-reboot" and ranked[0]["articles"] == []


def test_upsert_article_replaces_its_edges(kg):
    kg.upsert_article(
        article("pacs-001", systems=("pacs",), symptoms=("slow",), fixes=["fix-cache"])
    )
    g = kg.graph
    assert not g.has_edge("article:pacs-001", "symptom:image_load", "has_symptom")
    assert g.has_edge("article:pacs-001", "symptom:slow", "has_symptom")
    assert not g.has_edge("article:pacs-001", "department:radiology", "for_department")
    assert kg.related("pacs", "image_load")[0]["count"] == 1  # only pacs-002 now
    assert kg.related("pacs", "slow")[0]["fix_id"] == "fix-cache"


def test_upsert_article_orphan_fix_is_removed(kg):
    kg.upsert_article(article("pacs-001", fixes=["fix-cache"]))
    assert "fix:fix-network" not in kg.graph
    assert all(r["fix_id"] != "fix-network" for r in kg.related(system="pacs"))


def test_upsert_article_fix_applied_by_a_ticket_is_kept(kg):
    kg.add_ticket(ticket("T1", ["fix-network"]))
    kg.upsert_article(article("pacs-001", fixes=["fix-cache"]))
    assert "fix:fix-network" in kg.graph
    ranked = {r["fix_id"]: r for r in kg.related("pacs", "image_load")}
    assert ranked["fix-network"]["count"] == 1 and ranked["fix-network"]["articles"] == []


def test_upsert_new_article_is_added(kg):
    kg.upsert_article(
        article("lis-001", systems=("lis",), symptoms=("data_sync",), fixes=["fix-hl7"])
    )
    assert kg.related("lis", "data_sync")[0]["fix_id"] == "fix-hl7"


def test_remove_article_drops_node_edges_and_orphan_fixes(kg):
    assert kg.remove_article("pacs-003") is True
    assert "article:pacs-003" not in kg.graph
    assert "fix:fix-password" not in kg.graph
    assert kg.related(symptom="login_failure") == []
    assert kg.remove_article("pacs-003") is False


def test_neighbourhood_of_a_system(kg):
    kg.add_ticket(ticket("T1", ["fix-network"]))
    n = kg.neighbourhood("pacs")
    assert n["system"]["id"] == "pacs"
    assert [s["id"] for s in n["symptoms"]][:1] == ["image_load"]
    assert {f["id"] for f in n["fixes"]} == {"fix-cache", "fix-network", "fix-password"}
    assert {a["id"] for a in n["articles"]} == {"pacs-001", "pacs-002", "pacs-003"}
    assert n["departments"][0]["id"] == "radiology"
    rels = {(e["source"], e["target"], e["rel"]) for e in n["edges"]}
    assert ("fix:fix-cache", "symptom:image_load", "resolves") in rels
    assert ("article:pacs-001", "fix:fix-cache", "describes") in rels
    assert ("article:pacs-001", "system:pacs", "covers") in rels


def test_neighbourhood_of_an_unknown_system_is_empty(kg):
    n = kg.neighbourhood("lis")
    assert n["fixes"] == [] and n["articles"] == [] and n["system"]["name_zh"] == "检验信息系统"


def test_build_replaces_previous_content(kg):
    kg.build([article("x-1", fixes=["fix-x"])])
    assert kg.stats()["nodes_by_type"]["article"] == 1
    assert [r["fix_id"] for r in kg.related("pacs")] == ["fix-x"]


def test_incremental_and_bulk_builds_agree():
    arts = [article("a1", fixes=["f1"]), article("a2", fixes=["f1", "f2"])]
    tics = [ticket("t1", ["f2"]), ticket("t2", ["f2"], engineer=("e2", "王工"))]
    bulk = KnowledgeGraph().build(arts, tics)
    step = KnowledgeGraph()
    for a in arts:
        step.upsert_article(a)
    for t in tics:
        step.add_ticket(t)
    assert bulk.related("pacs") == step.related("pacs")
    assert bulk.stats() == step.stats()


def test_engineer_record_counts_resolved_tickets_per_problem_and_forgets_removed_ones() -> None:
    from weibao.graph.knowledge_graph import KnowledgeGraph, TicketRecord

    graph = KnowledgeGraph().build(
        [],
        [
            TicketRecord("T-1", "a", "pacs", "slow", None, ("fix-pacs-x",), "eng-a", "A"),
            TicketRecord("T-2", "b", "pacs", "slow", None, (), "eng-a", "A"),
        ],
    )
    graph.add_ticket(TicketRecord("T-3", "c", "pacs", "slow", None, (), "eng-b", "B"))
    graph.add_ticket(TicketRecord("T-3", "c", "pacs", "slow", None, (), "eng-b", "B"))  # again
    assert graph.engineer_record("pacs", "slow") == {"eng-a": 2, "eng-b": 1}
    graph.remove_ticket("T-1")
    assert graph.engineer_record("pacs", "slow") == {"eng-a": 1, "eng-b": 1}
    assert graph.engineer_record("lis", "slow") == {}


def test_articles_about_follows_article_changes_and_ignores_tickets(kg):
    kg.add_ticket(ticket("t1", ["fix-cache"], system="his", symptom="slow"))
    about = kg.articles_about(["his"], ["slow"])
    assert about == {"his-001": ({"his"}, {"slow"})}  # the ticket on his/slow is not an article
    kg.upsert_article(article("his-002", systems=("his",), symptoms=("login_failure",)))
    assert set(kg.articles_about(["his"], [])) == {"his-001", "his-002"}
    kg.upsert_article(article("his-002", systems=("lis",), symptoms=("login_failure",)))
    assert set(kg.articles_about(["his"], [])) == {"his-001"}
    kg.remove_article("his-001")
    assert kg.articles_about(["his"], ["slow"]) == {}
    assert set(kg.articles_about(["pacs"], ["login_failure"])) == {"pacs-001", "pacs-002", "pacs-003", "his-002"}
