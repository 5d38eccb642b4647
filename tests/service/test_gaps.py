"""Knowledge gaps: which logged queries count, how they group, whether a ticket followed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.routing.models import Ticket
from weibao.service.gaps import adjust_for_codes, grouping_similarity, knowledge_gaps, log_query

T0 = dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.UTC)


def chars(texts: list[str]) -> np.ndarray:
    """A bag-of-characters encoder: similar wording, similar vector (stands in for the model)."""
    alphabet = sorted({c for t in texts for c in t})
    return np.array([[t.count(c) for c in alphabet] for t in texts], dtype=np.float32)


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id="h-g", name="缺口医院")
        session.flush()
        user = accounts.create_user(session=session, username="it.g", role="hospital_it", hospital_id="h-g")
        session.flush()

        def log(query: str, minutes: int, *, count: int = 3, conf: float = 0.2, systems=(), symptoms=(),
                user_id=None, hospital="h-g"):  # type: ignore[no-untyped-def]
            log_query(session=session, source="search", query=query, hospital_id=hospital, user_id=user_id,
                      result_count=count, top_score=0.1, confidence=conf, systems=systems,
                      symptoms=symptoms, at=T0 + dt.timedelta(minutes=minutes))

        log("检验仪器 E-4471 报错", 0, systems=("lis",), symptoms=("crash_error",), user_id=user.id)
        log("检验仪器报 E-4471", 5, systems=("lis",), symptoms=("crash_error",))
        log("自助机吞卡怎么办", 10)
        log("自助机吞卡了怎么办呢", 11, count=0, conf=0.0)
        log("打印机打不出", 12, conf=0.9)  # answered well: not a gap
        log("别的医院的问题", 13, hospital="h-other")
        log("下个月的问题", 60 * 24 * 40)  # outside the range
        session.add(Ticket(code="T-G-1", hospital_id="h-g", title="报修", priority="P3",
                           reporter_user_id=user.id, created_at=T0 + dt.timedelta(minutes=20),
                           updated_at=T0, response_due=T0, resolution_due=T0))
    return database


def test_gaps_group_by_linked_entities_then_by_similarity(db: Database) -> None:
    with session_scope(db.sessions) as session:
        result = knowledge_gaps(session=session, start=T0 - dt.timedelta(days=1), end=T0 + dt.timedelta(days=1),
                                hospital_id="h-g", min_confidence=0.45, similarity=0.8, encode=chars)
    assert result["queries"] == 5 and result["unanswered"] == 4
    groups = {g["key"]: g for g in result["groups"]}
    lis = groups["lis+crash_error"]
    assert lis["count"] == 2 and lis["grouped_by"] == "entities" and lis["tickets_followed"] == 1
    similar = [g for g in result["groups"] if g["grouped_by"] == "embedding"]
    assert len(similar) == 1 and similar[0]["count"] == 2 and similar[0]["no_result"] == 1
    assert similar[0]["tickets_followed"] == 0


def test_a_stricter_similarity_splits_the_groups(db: Database) -> None:
    with session_scope(db.sessions) as session:
        result = knowledge_gaps(session=session, start=T0 - dt.timedelta(days=1), end=T0 + dt.timedelta(days=1),
                                hospital_id="h-g", similarity=0.999, encode=chars)
    assert len([g for g in result["groups"] if g["grouped_by"] == "embedding"]) == 2


def test_queries_are_stored_masked(db: Database) -> None:
    with session_scope(db.sessions) as session:
        entry = log_query(session=session, source="chat", query="患者张三 13912345678 登录不了", hospital_id="h-g",
                          user_id=None, result_count=0, top_score=0.0, confidence=0.0)
        session.flush()
        assert "13912345678" not in entry.query and "张三" not in entry.query


def test_a_code_no_answer_mentions_halves_the_confidence() -> None:
    assert adjust_for_codes(0.8, "检验仪器报错 E-4471", "检验仪器通讯中断的处理") == 0.4
    assert adjust_for_codes(0.8, "检验仪器报错 E-4471", "E-4471 是试剂不足") == 0.8
    assert adjust_for_codes(0.8, "检验仪器报错", "无关") == 0.8


@pytest.mark.slow
def test_the_default_model_groups_two_phrasings_of_one_question_and_not_others(embedder) -> None:  # type: ignore[no-untyped-def]
    # The threshold follows the model's scale (bench/gap_grouping.py): with USE v3 a fixed
    # 0.80 would never group two people asking the same thing in different words.
    vectors = embedder.encode(["自助机吞卡怎么办", "自助挂号机把就诊卡吞了", "PACS 影像调阅很慢", "医保结算一直转圈"])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    threshold = grouping_similarity(embedder.name)
    assert float(vectors[0] @ vectors[1]) >= threshold
    assert float(vectors[0] @ vectors[2]) < threshold and float(vectors[1] @ vectors[3]) < threshold
