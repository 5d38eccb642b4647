"""The understanding in the reader's words: every priority rule and reason in Chinese and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weibao.routing.priority import decide
from weibao.web.desk_view import rule_words
from weibao.web.i18n import translator
from weibao.web.understanding_view import clarifying_question, confidence_note, priority_reasons

CJK = re.compile(r"[\u4e00-\u9fff]")
RULES = re.findall(r'PriorityDecision\("P.", f?"([^"]+)"',
                   (Path(__file__).resolve().parents[2] / "weibao/routing/priority.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule", RULES)
def test_every_priority_rule_reads_in_chinese(rule: str) -> None:
    words = rule_words(rule.replace("{system}", "his"), translator("zh"))
    assert CJK.search(words), f"no Chinese words for rule {rule!r}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reasons_are_sentences_with_the_triggering_words(lang: str) -> None:
    decision = decide("急诊全院挂号都挂不上，先手写登记", "registration", "crash_error", "emergency")
    lines = priority_reasons(decision.reasons, translator(lang))
    assert len(lines) == len(decision.reasons) >= 3
    assert any("全院" in line for line in lines)
    assert not any("understanding_" in line or "{matched}" in line for line in lines)
    if lang == "zh":
        assert all(CJK.search(line) for line in lines)


def test_a_vague_ticket_asks_which_system_and_says_it_is_unknown() -> None:
    t = translator("zh")
    triage = {"system": None, "clarify": "which_system", "low_confidence": True}
    assert "哪个系统" in clarifying_question(triage, t)
    assert "系统未知" in confidence_note(triage, t)
    assert clarifying_question({"clarify": None}, t) == "" and confidence_note({"system": "his"}, t) == ""
    assert "整个科室" in clarifying_question({"system": "pacs", "clarify": "which_impact"}, t)


def test_unknown_reason_codes_are_left_out_not_shown_as_ids() -> None:
    assert priority_reasons([{"code": "no_such_code", "matched": "x"}], translator("zh")) == []
