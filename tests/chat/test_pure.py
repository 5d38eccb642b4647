"""Intents, language and step extraction: pure functions, no services."""

from __future__ import annotations

import pytest

from weibao.chat.compose import detect_language, extract_steps, pick_steps, shorten
from weibao.chat.intents import Intent, classify, is_out_of_scope, ticket_codes


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", Intent.GREETING), ("hello!", Intent.GREETING), ("谢谢", Intent.THANKS),
        ("好的，谢谢", Intent.THANKS), ("thanks a lot", Intent.THANKS),
        ("还是不行", Intent.STILL_BROKEN), ("没用", Intent.STILL_BROKEN),
        ("不管用啊", Intent.STILL_BROKEN), ("still broken", Intent.STILL_BROKEN),
        ("that didn't help", Intent.STILL_BROKEN),
        ("我的工单 T-2025-00012 到哪一步了", Intent.TICKET_STATUS),
        ("status of t-2025-00012?", Intent.TICKET_STATUS),
        ("你好，打印不出来", Intent.PROBLEM), ("printing doesn't work", Intent.PROBLEM),
    ],
)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) is intent


def test_ticket_codes_are_normalised_and_partial_codes_are_not_codes() -> None:
    assert ticket_codes("t-2025-00012 和 T-2025-1") == ["T-2025-00012"]


def test_out_of_scope_needs_no_entity_and_no_software_word() -> None:
    assert is_out_of_scope("今天天气怎么样", linked_anything=False)
    assert not is_out_of_scope("发票", linked_anything=False)
    assert not is_out_of_scope("今天天气怎么样", linked_anything=True)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("打印不出来", "zh"), ("printer is offline", "en"), ("HIS 登不上", "zh"), ("T-2025-00001", "zh")],
)
def test_language_follows_the_message_and_falls_back_when_it_has_no_words(text: str, lang: str) -> None:
    assert detect_language(text, "zh") == lang


def test_steps_come_from_the_fix_section_only() -> None:
    body = (
        "## 排查\n1. 看指示灯\n\n## 处理步骤\n1. **清洁**打印头\n   再试一次\n2. 调整`浓度`\n\n"
        "## 何时升级\n1. 打信息科\n"
    )
    assert extract_steps(body) == ["清洁打印头 再试一次", "调整浓度"]
    assert extract_steps("## Fix steps\n1. Restart the service.\n2) Check logs.") == [
        "Restart the service.", "Check logs.",
    ]
    assert extract_steps("## 现象\n没有步骤") == []


def test_long_procedures_keep_the_steps_that_match_the_question_in_order() -> None:
    steps = [f"步骤{i}" for i in range(1, 9)]
    steps[6] = "腕带 打印"
    picked = pick_steps(steps, {"腕带"}, lambda t: t.split())
    assert len(picked) == 5 and (7, "腕带 打印") in picked
    assert [n for n, _ in picked] == sorted(n for n, _ in picked)
    assert pick_steps(steps, set(), lambda t: t.split()) == list(enumerate(steps, 1))[:5]


def test_shorten_cuts_at_a_sentence_end() -> None:
    assert shorten("第一句。" + "很长" * 100, 10) == "第一句。…"
    assert shorten("short", 20) == "short"


def test_a_follow_up_answered_by_its_place_in_the_list_picks_that_choice() -> None:
    from weibao.chat.dialogue import Assistant
    from weibao.kb.search import Understanding

    choices = ["nursing", "lis", "his"]
    for said, wanted in (("第二个", "lis"), ("2", "lis"), ("选第一个。", "nursing"), ("三", "his"),
                         ("the second one", "lis"), ("腕带", "nursing"), ("第四个", None)):
        assert Assistant._chosen(said, Understanding(text=said), choices) == wanted, said


def _hit(doc_id: str, systems: list[str], score: float, symptoms: list[str] | None = None):  # type: ignore[no-untyped-def]
    from weibao.kb.hits import DocumentHit
    from weibao.kb.snippet import Snippet

    return DocumentHit(
        kind="article", id=doc_id, title=doc_id, systems=systems, symptoms=symptoms or ["print_failure"],
        departments=[], audience="all", language="zh", score=score,
        snippet=Snippet("", []), chunk_id=0,
    )


def test_a_follow_up_needs_two_close_candidates_of_different_systems() -> None:
    from weibao.chat.dialogue import Assistant
    from weibao.kb.search import Understanding

    u = Understanding(symptoms=("print_failure",))
    close_and_different = [_hit("lis-002", ["lis", "terminal"], 1.0), _hit("his-008", ["his", "terminal"], 0.95)]
    assert Assistant._competing_systems(u, close_and_different) == ["lis", "his"]
    # A clear first candidate: the runner-up far behind.
    clear = [_hit("lis-002", ["lis"], 1.0), _hit("his-008", ["his"], 0.8)]
    assert Assistant._competing_systems(u, clear) == []
    # The two best agree on the system (two insurance articles): nothing to ask.
    same = [_hit("ins-1", ["insurance"], 1.0), _hit("ins-2", ["insurance", "integration"], 0.97),
            _hit("his-1", ["his"], 0.95)]
    assert Assistant._competing_systems(u, same) == []


def test_a_named_thing_makes_a_short_message_specific() -> None:
    from dataclasses import dataclass

    from weibao.chat.dialogue import is_vague

    @dataclass
    class M:
        kind: str
        span: tuple[int, int]

    class Linked:
        def __init__(self, *mentions: M) -> None:
            self._mentions = list(mentions)

        def mentions(self) -> list[M]:
            return self._mentions

    assert is_vague("打印不出来", Linked(M("symptoms", (0, 5))))
    # 「条码打出来空白」: the barcode is a term; search answers without a question.
    assert not is_vague("条码打出来空白", Linked(M("symptoms", (2, 7)), M("terms", (0, 2))))


def test_a_meaning_only_answer_needs_a_close_passage_and_respects_a_strict_threshold() -> None:
    from weibao.chat.compose import SEMANTIC_ANSWER_COSINE, compose_answer
    from weibao.kb.search import Understanding

    hits = [_hit("ih-006", ["internet_hospital"], 1.0)]

    def compose(similarity: float, threshold: float = 0.3) -> bool:
        return compose_answer(
            hits, Understanding(), "en", query_terms={"video", "sound"}, doc_terms_of=lambda h: set(),
            steps_of=lambda h: ["Check the microphone permission."], tokens_of=str.split,
            threshold=threshold, similarity_of=lambda h: similarity,
        ).answered

    assert not compose(SEMANTIC_ANSWER_COSINE - 0.05)  # no linked entity, no shared word
    assert compose(SEMANTIC_ANSWER_COSINE + 0.05)
    assert not compose(SEMANTIC_ANSWER_COSINE + 0.05, threshold=0.99)


def test_an_answer_in_the_other_language_counts_closeness_for_shared_words() -> None:
    from weibao.chat.compose import compose_answer
    from weibao.kb.search import Understanding

    # The Chinese article carries the linked system, not the symptom: linking gives 0.25,
    # and an English question shares no word with it.
    hits = [_hit("terminal-003", ["terminal"], 1.0, ["device_connect"]),
            _hit("lis-002", ["lis", "terminal"], 1.0)]  # no margin over the runner-up
    understanding = Understanding(systems=("terminal",), symptoms=("data_sync",))

    def compose(similarity: float) -> bool:
        return compose_answer(
            hits, understanding, "en", query_terms={"barcode", "gun", "digits"}, doc_terms_of=lambda h: set(),
            steps_of=lambda h: ["扫码枪恢复出厂设置。"], tokens_of=str.split,
            threshold=0.3, similarity_of=lambda h: similarity,
        ).answered

    assert compose(0.35)  # 0.25 + 0.4 x 0.35 >= 0.3: the cosine stands in for the shared words
    assert not compose(0.05)


def test_a_symptom_alone_is_answered_only_when_the_source_is_somewhat_close_by_meaning() -> None:
    from weibao.chat.compose import TOPIC_FLOOR_COSINE, compose_answer
    from weibao.kb.search import Understanding

    # 「今天天气怎么样」: only how_to is linked; the best article carries it and shares a word.
    hits = [_hit("registration-005", ["registration"], 1.0, ["how_to"])]

    def compose(understanding: Understanding, similarity: float) -> bool:
        return compose_answer(
            hits, understanding, "zh", query_terms={"怎么", "今天"}, doc_terms_of=lambda h: {"怎么"},
            steps_of=lambda h: ["在挂号窗口点击加号。"], tokens_of=str.split,
            threshold=0.3, similarity_of=lambda h: similarity,
        ).answered

    symptom_only = Understanding(symptoms=("how_to",))
    assert not compose(symptom_only, TOPIC_FLOOR_COSINE - 0.05)
    assert compose(symptom_only, TOPIC_FLOOR_COSINE + 0.05)
    # With a system linked the same closeness does not decide.
    assert compose(Understanding(systems=("registration",), symptoms=("how_to",)), TOPIC_FLOOR_COSINE - 0.05)
