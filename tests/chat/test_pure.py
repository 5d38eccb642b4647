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
