"""Scripted conversations against the real seeded knowledge base and ticket desk."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests.chat.conftest import OTHER_HOSPITAL, OWN_HOSPITAL, OWN_TICKET
from weibao.chat.models import ChatMessage


def test_vague_problem_gets_one_follow_up_and_the_answer_narrows(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    first = chat.say("打印不出来").reply
    assert first.follow_up == "是哪个系统打印？腕带、检验报告还是发票？"
    assert first.citations == [] and first.symptoms == ["print_failure"]
    second = chat.say("腕带").reply
    assert second.follow_up is None and second.answered
    assert second.systems[0] == "nursing" and "print_failure" in second.symptoms
    assert "腕带" in second.citations[0]["title"]
    assert re.search(r"^1\. .+ \[1\]$", second.text, re.MULTILINE)
    steps = re.findall(r"^(\d+)\. ", second.text, re.MULTILINE)
    assert 1 <= len(steps) <= 5
    assert [int(n) for n in steps] == list(range(1, len(steps) + 1))  # numbered as shown, no gaps


def test_when_the_answer_is_still_broken_the_ticket_is_prefilled_from_the_conversation(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    chat.say("检验报告打印不出来，病人张三 13812345678")
    answer = chat.turns[-1].reply
    assert answer.answered and answer.citations
    reply = chat.say("还是不行").reply
    (action,) = [a for a in reply.actions if a["type"] == "open_ticket"]
    prefill = action["prefill"]
    assert prefill["hospital_id"] == OWN_HOSPITAL
    assert prefill["system"] == "lis" and prefill["symptom"] == "print_failure"
    assert "检验报告打印不出来" in prefill["title"]
    # The whole conversation, masked: both user turns and the assistant's answer.
    assert "检验报告打印不出来" in prefill["description"] and "还是不行" in prefill["description"]
    assert answer.citations[0]["title"] in prefill["description"]
    # What was tried is named by title: no article id squeezed into the transcript.
    assert not any(c["id"] in prefill["description"] for c in answer.citations if c["id"].islower())
    assert "13812345678" not in prefill["description"] and "张三" not in prefill["description"]
    assert prefill["tried_articles"] == [c["id"] for c in answer.citations]
    assert action["url"].startswith("/tickets/new?") and "system=lis" in action["url"]
    # The form keeps the ids in a hidden field, so the ticket records what was read.
    assert parse_qs(urlsplit(action["url"]).query)["tried"] == [",".join(prefill["tried_articles"])]


def test_still_broken_before_any_problem_asks_for_the_problem(make_chat) -> None:  # type: ignore[no-untyped-def]
    reply = make_chat().say("还是不行").reply
    assert not reply.actions and "描述" in reply.text


def test_a_first_message_with_still_words_that_describes_a_problem_is_answered(make_chat) -> None:  # type: ignore[no-untyped-def]
    # 「还是看不到」 reads as "still broken", but nothing was answered yet: it is the problem.
    reply = make_chat().say("检验报告审核完了，门诊医生那边还是看不到").reply
    assert reply.answered and reply.intent == "answer"
    assert "lis" in reply.sources[0].systems


def test_still_words_naming_another_system_start_a_new_problem(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    assert chat.say("检验报告打印不出来").reply.answered
    reply = chat.say("另外电子病历改了密码还是登不上").reply
    assert reply.answered and not any(a["type"] == "open_ticket" for a in reply.actions)
    assert "emr" in reply.sources[0].systems
    # "Still broken" about the problem itself still hands over.
    assert chat.say("还是登不上").reply.intent == "still_broken"


def test_ticket_status_of_own_hospital(make_chat) -> None:  # type: ignore[no-untyped-def]
    reply = make_chat(OWN_HOSPITAL).say(f"我的工单 {OWN_TICKET} 到哪一步了").reply
    (action,) = reply.actions
    assert action["type"] == "ticket_status" and action["code"] == OWN_TICKET
    assert action["status"] == "closed" and action["assignee"]
    assert "已关闭" in reply.text and action["assignee"] in reply.text


def test_another_hospitals_ticket_gets_the_same_answer_as_an_unknown_one(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat(OTHER_HOSPITAL)
    foreign = chat.say(f"我的工单 {OWN_TICKET} 到哪一步了").reply
    unknown = chat.say("我的工单 T-2099-99999 到哪一步了").reply
    assert foreign.actions == unknown.actions == []
    assert foreign.text == unknown.text.replace("T-2099-99999", OWN_TICKET)


def test_language_switch_from_chinese_to_english(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    zh = chat.say("急诊分诊系统很卡").reply
    assert zh.language == "zh" and "根据《" in zh.text
    en = chat.say("HL7 messages stuck in the integration engine").reply
    assert en.language == "en" and en.answered
    assert en.text.startswith("According to") and "integration" in en.systems


def test_english_question_with_a_chinese_source_says_so(make_chat) -> None:  # type: ignore[no-untyped-def]
    reply = make_chat().say("wristband printer prints nothing on the ward").reply
    if reply.answered and reply.sources[0].language == "zh":
        assert "source is in Chinese" in reply.text


def test_greeting_and_thanks_are_short_and_polite(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    hello = chat.say("你好").reply
    assert hello.intent == "greeting" and "您好" in hello.text and not hello.citations
    thanks = chat.say("谢谢！").reply
    assert thanks.intent == "thanks" and "不客气" in thanks.text
    assert chat.say("hello").reply.language == "en"


def test_out_of_scope_question_is_declined_without_citations(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    reply = chat.say("今天天气怎么样").reply
    assert reply.intent == "out_of_scope" and not reply.citations and not reply.actions
    # Also in the middle of a conversation about a problem.
    chat.say("急诊分诊系统很卡")
    assert chat.say("讲个笑话吧").reply.intent == "out_of_scope"


def test_expired_session_starts_a_new_one_and_says_so(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat(chat_session_minutes=30)
    first = chat.say("你好")
    chat.clock.advance(31)
    second = chat.say("急诊分诊系统很卡")
    assert second.new_session and second.session_id != first.session_id
    assert "已过期" in second.reply.text


def test_unknown_session_id_starts_a_new_one_and_says_so(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    chat.session_id = "not-a-session"
    turn = chat.say("你好")
    assert turn.new_session and turn.session_id != "not-a-session" and "新的对话" in turn.reply.text


def test_live_session_keeps_its_context(make_chat) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    first = chat.say("打印不出来")
    chat.clock.advance(29)
    second = chat.say("发票")
    assert not second.new_session and second.session_id == first.session_id
    assert second.reply.systems[0] == "his" and "已过期" not in second.reply.text


def test_nothing_reliable_offers_a_ticket_and_claims_nothing(make_chat) -> None:  # type: ignore[no-untyped-def]
    reply = make_chat(chat_min_confidence=0.99).say("病历系统有时候有点问题").reply
    assert not reply.answered and reply.citations == []
    assert "没有找到可靠" in reply.text and not re.search(r"^\d+\.", reply.text, re.MULTILINE)
    assert reply.actions[0]["type"] == "open_ticket"


def test_messages_are_stored_masked(make_chat, chat_database) -> None:  # type: ignore[no-untyped-def]
    chat = make_chat()
    chat.say("患者王小明的检验报告打印不出来，电话 13812345678")
    with chat_database.sessions() as session:
        texts = [m.text for m in session.scalars(select(ChatMessage))]
    assert texts and not any("13812345678" in t or "王小明" in t for t in texts)


def test_a_question_in_words_the_linker_does_not_know_is_answered_by_meaning(make_chat) -> None:  # type: ignore[no-untyped-def]
    # No system, symptom or domain cue is linked; the article is close by meaning.
    reply = make_chat().say("线上付了钱号没挂上").reply
    assert reply.answered and reply.sources[0].systems[0] == "internet_hospital"


def test_unknown_topics_still_get_no_answer(make_chat) -> None:  # type: ignore[no-untyped-def]
    for message in ("停车场道闸不抬杆", "the elevator is stuck", "the staff canteen card won't top up", "门禁卡刷不开"):
        reply = make_chat().say(message).reply  # each a new conversation
        assert not reply.answered and reply.citations == [], message


def test_a_short_message_naming_a_thing_is_answered_without_a_question(make_chat) -> None:  # type: ignore[no-untyped-def]
    reply = make_chat().say("条码打出来空白").reply
    assert reply.follow_up is None and reply.answered
    assert reply.sources[0].systems[0] == "lis"
