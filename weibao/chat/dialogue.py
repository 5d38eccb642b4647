"""The conversation: one turn in, one reply out, the context carried in a small state.

`Assistant.respond` is the state machine. It reads the knowledge base and the ticket
desk but stores nothing; `service.ChatService` loads and saves the state and messages.
Every text it receives is already masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from weibao.chat import intents
from weibao.chat.compose import (
    FIX_HEADINGS,
    compose_answer,
    detect_language,
    extract_steps,
    semantic_bar,
    shorten,
)
from weibao.chat.intents import Intent
from weibao.kb.index import Filters
from weibao.kb.search import DocumentHit, SearchOptions, Understanding
from weibao.routing.calendars import zone
from weibao.routing.models import STATUS_NAMES

MAX_PROBLEM_CHARS = 600
MAX_DESCRIPTION_CHARS = 4000
MAX_URL_DESCRIPTION_CHARS = 700  # keeps the /tickets/new link well under URL limits
SEARCH_TOP_K = 8  # articles
TICKET_TOP_K = 3  # resolved tickets, after the articles (see-also material)
# Systems whose hits score within this share of the best one compete for the answer. With a
# dense ranking that votes on Chinese too (USE v3), a two-word complaint's candidates spread a
# little wider ("打印不出来": the wristband article at 0.79 of the best, 0.88 before).
COMPETE_RATIO = 0.75
# ... but only when the two best candidates are this close and name different systems: a
# clear first hit (「收不到验证码」: the online-hospital article, the next at 0.78 of it) or
# a top two of one system (「医保签到失败」: two insurance articles) answers directly. On
# the development sets 8 of 9 follow-up questions (one Chinese query in 25) came before an
# article that search ranked first and that answered the question.
CLOSE_RATIO = 0.9
GENERIC_SYSTEMS = frozenset({"terminal"})

# Short names for the follow-up question, and the words that answer it.
SYSTEM_CHOICES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "nursing": ("护理系统", "nursing", ("护理", "护士站", "移动护理", "nursing")),
    "lis": ("检验系统", "lab system", ("检验", "化验", "条码", "标本", "lab")),
    "his": ("收费/住院系统", "billing (HIS)", ("收费", "发票", "押金", "结算", "住院", "his", "billing")),
    "pharmacy": ("药房系统", "pharmacy", ("药房", "处方", "药袋", "发药", "pharmacy", "prescription")),
    "registration": ("挂号系统", "registration", ("挂号", "凭条", "叫号", "预约", "registration")),
    "emergency": ("急诊系统", "emergency", ("急诊", "分诊", "留观", "emergency", "triage")),
    "emr": ("电子病历", "EMR", ("病历", "医生站", "emr", "record")),
    "pacs": ("影像系统", "PACS", ("影像", "片子", "胶片", "放射", "pacs", "imag")),
    "insurance": ("医保结算", "insurance", ("医保", "insurance")),
    "or_anesthesia": ("手麻系统", "OR/anesthesia", ("手术", "麻醉", "手麻", "anesthesia", "surgery")),
    "icu": ("重症监护系统", "ICU", ("重症", "监护", "icu")),
    "integration": ("集成平台", "integration engine", ("集成", "接口", "hl7", "fhir", "integration")),
    "infrastructure": ("服务器/网络", "servers/network", ("服务器", "网络", "数据库", "server", "network")),
    "terminal": ("终端/打印机", "terminals/printers", ("打印机", "自助机", "读卡器", "扫码枪", "printer")),
    "internet_hospital": ("互联网医院", "online hospital", ("互联网", "小程序", "app", "online")),
}
# What people print in each system: 「是哪个系统打印？腕带、检验报告还是发票？」
PRINT_CHOICES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "nursing": ("腕带", "wristbands", ("腕带", "wristband")),
    "lis": ("检验报告", "lab reports", ("检验报告", "化验单", "采血条码", "lab report", "lab label")),
    "his": ("发票", "invoices", ("发票", "押金条", "invoice", "receipt")),
    "pharmacy": ("处方", "prescriptions", ("处方", "药袋", "prescription", "drug label")),
    "registration": ("挂号条", "registration slips", ("挂号条", "凭条", "registration slip")),
    "emergency": ("分诊单", "triage slips", ("分诊单", "留观单", "triage")),
    "pacs": ("影像报告", "imaging reports", ("影像报告", "胶片", "film")),
    "emr": ("病历", "medical records", ("病历", "medical record")),
}
# Answers that name a choice by its place in the follow-up's list.
ORDINALS = (("1", "一", "first"), ("2", "二", "second"), ("3", "三", "third"))
ORDINAL = re.compile(r"(?:选|是|the)?(?:第)?(1|2|3|一|二|三|first|second|third)(?:个|种|项|one)?")
# Most asked-about first: the follow-up lists at most three choices.
CHOICE_ORDER = (
    "nursing", "lis", "his", "pharmacy", "registration", "emergency", "emr", "pacs",
    "insurance", "or_anesthesia", "icu", "integration", "internet_hospital", "infrastructure",
    "terminal",
)
MAX_CHOICES = 3


TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "zh": "您好！我是维保智能助手。请描述您遇到的系统问题，例如「腕带打印不出来」；"
        "也可以问「我的工单 T-2025-00012 到哪一步了」。",
        "en": "Hello! I am the WeiBao assistant. Describe the problem, e.g. “wristband "
        "printer prints nothing”, or ask “status of T-2025-00012”.",
    },
    "thanks": {
        "zh": "不客气！问题再出现时随时找我。",
        "en": "You're welcome! Ask me again whenever it comes back.",
    },
    "out_of_scope": {
        "zh": "抱歉，我只能回答医院信息系统的使用和故障问题，例如打印、登录、卡顿、报错或工单进度。",
        "en": "Sorry, I can only help with the hospital software: printing, sign-in, slowness, "
        "errors, or the progress of a ticket.",
    },
    "describe_first": {
        "zh": "请先描述一下遇到的问题（哪个系统、出现了什么现象），我来查找处理办法；"
        "如果需要，我会帮您填好工单。",
        "en": "Please describe the problem first (which system, what happens); I will look "
        "for a fix and, if needed, prefill a ticket.",
    },
    "handover": {
        "zh": "很抱歉没能解决。我已根据我们的对话预先填好了工单（标题、描述、系统、问题类型和已尝试的资料），"
        "请点击「提交工单」核对后提交，工程师会按服务级别跟进。",
        "en": "Sorry that did not fix it. I have prefilled a ticket from our conversation "
        "(title, description, system, problem type and what was tried); open it, check it "
        "and submit, and an engineer will follow up within your service level.",
    },
    "ticket_unknown": {
        "zh": "没有找到工单 {code}。请核对工单号；只能查询本院的工单。",
        "en": "I could not find ticket {code}. Check the number; only your hospital's "
        "tickets can be looked up.",
    },
    "ticket_unavailable": {
        "zh": "工单查询暂时不可用，请稍后再试。",
        "en": "Ticket look-up is not available right now; please try again later.",
    },
    "ticket_status": {
        "zh": "工单 {code}（{title}）当前状态：{status}。处理人：{assignee}。{due}",
        "en": "Ticket {code} ({title}) is {status}. Assignee: {assignee}. {due}",
    },
    "unassigned": {"zh": "尚未分派", "en": "not assigned yet"},
    "due_response": {
        "zh": "首次响应时限：{at}（{tz}）。",
        "en": "First response due: {at} ({tz}).",
    },
    "due_resolution": {"zh": "解决时限：{at}（{tz}）。", "en": "Resolution due: {at} ({tz})."},
    "done_at": {"zh": "已于 {at}（{tz}）解决。", "en": "Resolved at {at} ({tz})."},
    "ask_print": {"zh": "是哪个系统打印？{choices}？", "en": "What are you printing: {choices}?"},
    "ask_system": {"zh": "是哪个系统出的问题？{choices}？", "en": "Which system is it: {choices}?"},
    "new_session": {
        "zh": "（之前的对话已过期或不存在，已为您开始新的对话。）",
        "en": "(Your earlier conversation expired or was not found; this is a new one.)",
    },
}


@dataclass(slots=True)
class State:
    """What the conversation remembers between turns (stored as JSON; text is masked)."""

    language: str = "zh"
    turns: int = 0
    problem: str = ""  # the current problem's words so far
    problem_title: str = ""  # its first message
    systems: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    department: str | None = None
    pinned_system: str | None = None  # chosen in answer to the follow-up
    pending: dict[str, Any] | None = None  # the follow-up asked: {"choices": [system ids]}
    asked: bool = False  # one follow-up per problem
    cited: list[str] = field(default_factory=list)  # ids cited for this problem, in order

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def start_problem(self, text: str) -> None:
        self.problem = text[:MAX_PROBLEM_CHARS]
        self.problem_title = text
        self.systems, self.symptoms, self.department = [], [], None
        self.pinned_system, self.pending, self.asked, self.cited = None, None, False, []


@dataclass(slots=True)
class Reply:
    text: str
    language: str
    intent: str
    citations: list[dict[str, str]] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    department: str | None = None
    follow_up: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.0
    answered: bool = False  # the reply gives a fix (and then carries citations)
    passages: list[str] = field(default_factory=list)  # what a rewording may draw on
    sources: list[DocumentHit] = field(default_factory=list)  # the cited hits, in order


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Who is asking: the hospital for prefill, and the scope of ticket look-ups."""

    hospital_id: str | None = None
    ticket_scope: str | None = None  # None: every hospital (vendor staff)
    all_hospitals: bool = False
    # The audiences the caller may read (weibao.kb.audience); empty: all (the CLI).
    audiences: tuple[str, ...] = ()


History = Callable[[], Sequence[tuple[str, str]]]


def _text(key: str, lang: str, **values: object) -> str:
    return TEXTS[key][lang].format(**values)


class Assistant:
    """Answers one message at a time from the knowledge base and the ticket desk."""

    def __init__(self, kb: Any, desk: Any | None, *, min_confidence: float) -> None:
        self.kb = kb
        self.desk = desk
        self.min_confidence = min_confidence

    # ---- the state machine -------------------------------------------------------------
    def respond(
        self, state: State, message: str, ctx: TurnContext, history: History = lambda: ()
    ) -> Reply:
        """The reply to `message` (masked) given `state`, which it updates in place."""
        lang = detect_language(message, state.language)
        state.language = lang
        state.turns += 1
        intent = intents.classify(message)
        if intent is Intent.GREETING:
            return Reply(_text("greeting", lang), lang, intent.value)
        if intent is Intent.THANKS:
            state.pending = None
            return Reply(_text("thanks", lang), lang, intent.value)
        if intent is Intent.TICKET_STATUS:
            return self._ticket_status(intents.ticket_codes(message)[0], lang, ctx)
        if intent is Intent.STILL_BROKEN and not self._tells_a_new_problem(state, message):
            if not state.problem:
                return Reply(_text("describe_first", lang), lang, intent.value)
            return self._handover(state, message, lang, ctx, history, intent.value)
        return self._problem(state, message, lang, ctx, history)

    def _tells_a_new_problem(self, state: State, message: str) -> bool:
        """True when a message with "still" words (还是看不到, still fails) describes a problem
        of its own: 「化验单审完了临床还是看不到结果」 as the first message is a question for
        the knowledge base, not a report that an answer failed (on the development sets such
        first messages were asked to describe the problem: 3 of 1,122). Within a problem, it
        is a new one when it names a system the problem did not."""
        rest = intents.without_still_broken(message)
        if not rest:
            return False
        named = self.kb.understand(rest).systems
        if not state.problem:
            return bool(named) or intents.has_domain_cue(rest)
        return bool(named) and not set(named) & set(state.systems)

    def _problem(
        self, state: State, message: str, lang: str, ctx: TurnContext, history: History
    ) -> Reply:
        own = self.kb.understand(message)  # linked once; searched below when it is the problem
        pending = state.pending
        continues = bool(state.problem) and self._continues(state, own)
        vague = not continues and is_vague(message, own.linked)
        off_topic = intents.is_out_of_scope(message, linked_anything=not own.is_empty())
        if off_topic and not pending and not self._close_by_meaning(message, own, ctx.audiences):
            return Reply(_text("out_of_scope", lang), lang, Intent.OUT_OF_SCOPE.value)
        if not continues:
            state.start_problem(message)
        else:
            state.problem = f"{state.problem} {message}"[-MAX_PROBLEM_CHARS:]
            state.pending = None
            if pending:
                state.pinned_system = self._chosen(message, own, pending.get("choices", []))
        hits, understanding = self._search(state.problem, state.pinned_system, own, ctx.audiences)
        state.systems = list(understanding.systems)
        state.symptoms = list(understanding.symptoms)
        state.department = (understanding.departments or (state.department,))[0]
        if vague and not state.asked:
            choices = self._competing_systems(understanding, hits)
            if choices:
                state.asked = True
                state.pending = {"choices": choices}
                question = self._question(choices, understanding, lang)
                reply = Reply(question, lang, "clarify", follow_up=question)
                return self._fill_understood(reply, state)
        return self._answer(state, hits, understanding, lang, ctx, history, message)

    @staticmethod
    def _continues(state: State, own: Understanding) -> bool:
        """True when a message adds to the current problem rather than starting a new one."""
        if state.pending:
            # Answering the follow-up, unless it names another kind of problem outright.
            return not (own.symptoms and not set(own.symptoms) & set(state.symptoms))
        if own.is_empty():
            return True
        return set(own.systems) <= set(state.systems) and set(own.symptoms) <= set(state.symptoms)

    @staticmethod
    def _chosen(message: str, own: Understanding, choices: Sequence[str]) -> str | None:
        low = message.lower()
        # 「第二个」, 「2」, 「the second」: people answer a list by its place in it.
        place = ORDINAL.fullmatch(re.sub(r"[\s。.，,！!？?]", "", low))
        if place:
            index = next(i for i, forms in enumerate(ORDINALS) if place.group(1) in forms)
            if index < len(choices):
                return choices[index]
        for system in choices:
            words = PRINT_CHOICES.get(system, ("", "", ()))[2] + SYSTEM_CHOICES[system][2]
            if any(w in low for w in words):
                return system
        for system in own.systems:
            if system in choices or system in SYSTEM_CHOICES:
                return system
        return None

    def _search(
        self, text: str, pinned: str | None, own: Understanding, readable: tuple[str, ...] = ()
    ) -> tuple[list[DocumentHit], Understanding]:
        """Hits for the problem so far; a system chosen in the follow-up filters them. The
        message's own understanding serves when the problem is just that message."""
        understood = own if own.text == text and own.query is not None else self.kb.understand(text)
        hits: list[DocumentHit] = []
        if pinned:
            hits = self._articles_then_tickets(understood, Filters(systems=(pinned,), readable=readable))
        if not hits:
            hits = self._articles_then_tickets(understood, Filters(readable=readable))
        understanding = understood
        if pinned:
            systems = (pinned, *[s for s in understanding.systems if s != pinned])
            understanding = replace(understanding, systems=systems)
        return hits, understanding

    def _articles_then_tickets(self, understood: Understanding, filters: Filters) -> list[DocumentHit]:
        """The articles in the order search ranks them, then a few resolved tickets.

        A curated article is cited before a resolved ticket: tickets often repeat the
        question's own words, and in one mixed ranking they came first in about a third
        of the answers (half in English), ahead of the article that search ranks first.
        """
        articles = self.kb.search_understood(
            understood, SearchOptions(top_k=SEARCH_TOP_K, filters=replace(filters, kinds=("article",)))
        )
        tickets = self.kb.search_understood(
            understood, SearchOptions(top_k=TICKET_TOP_K, filters=replace(filters, kinds=("ticket",)))
        )
        return [*articles.hits, *tickets.hits]

    @staticmethod
    def _competing_systems(u: Understanding, hits: Sequence[DocumentHit]) -> list[str]:
        """Systems to ask about: a symptom without a system, or linked systems that tie."""
        if not hits or (not u.symptoms and len(u.systems) < 2):
            return []
        if len(u.systems) == 1 or (u.systems and set(u.systems) <= set(hits[0].systems)):
            return []  # one system, or the best source covers all that were named
        best = hits[0].score
        if len(hits) < 2 or hits[1].score < CLOSE_RATIO * best:
            return []  # one clear candidate
        if _main_system(hits[0]) == _main_system(hits[1]):
            return []  # the two best agree on the system: nothing to ask
        found: list[str] = []
        for hit in hits:
            if hit.score < COMPETE_RATIO * best:
                break
            system = _main_system(hit)
            if system in SYSTEM_CHOICES and system not in found and (
                not u.systems or system in u.systems
            ):
                found.append(system)
        if len(found) < 2:
            return []
        found.sort(key=CHOICE_ORDER.index)
        return found[:MAX_CHOICES]

    @staticmethod
    def _question(choices: Sequence[str], u: Understanding, lang: str) -> str:
        printing = "print_failure" in u.symptoms and all(c in PRINT_CHOICES for c in choices)
        table = PRINT_CHOICES if printing else SYSTEM_CHOICES
        names = [table[c][0] if lang == "zh" else table[c][1] for c in choices]
        if lang == "zh":
            joined = "、".join(names[:-1]) + "还是" + names[-1]
        else:
            joined = ", ".join(names[:-1]) + " or " + names[-1]
        return _text("ask_print" if printing else "ask_system", lang, choices=joined)

    def _answer(
        self, state: State, hits: list[DocumentHit], u: Understanding, lang: str,
        ctx: TurnContext, history: History, message: str,
    ) -> Reply:
        tokenizer = self.kb.tokenizer
        index = self.kb.index
        composed = compose_answer(
            hits, u, lang,
            query_terms=set(tokenizer.tokens(state.problem)),
            doc_terms_of=lambda h: set(index.chunks[h.chunk_id].tokens) | set(tokenizer.tokens(h.title)),
            steps_of=self._steps_of,
            tokens_of=tokenizer.tokens,
            threshold=self.min_confidence,
            similarity_of=lambda h: self._similarity(state.problem, h),
        )
        if not composed.answered:
            reply = Reply(composed.reply, lang, "no_answer", confidence=composed.confidence)
            reply.actions.append(self._open_ticket(state, message, lang, ctx, history))
            return self._fill_understood(reply, state)
        for source in composed.sources:
            if source.id not in state.cited:
                state.cited.append(source.id)
        best = composed.citations[0]
        reply = Reply(
            composed.reply, lang, "answer", citations=composed.citations,
            confidence=composed.confidence, answered=True,
            passages=[c["passage"] for c in composed.citations], sources=composed.sources,
            actions=[{"type": "show_article", "id": best["id"], "kind": best["kind"],
                      "title": best["title"], "url": best["url"]}],
        )
        return self._fill_understood(reply, state)

    def _close_by_meaning(self, message: str, own: Understanding, readable: tuple[str, ...]) -> bool:
        """True when an article is close to a message that names nothing the linker or the
        domain cues know: 「video consult has no sound」, 「RAID 降级」 are questions for the
        knowledge base, 「今天天气怎么样」 is not."""
        hits, _ = self._search(message, None, own, readable)
        return bool(hits) and self._similarity(message, hits[0]) >= semantic_bar(self.min_confidence)

    def _similarity(self, text: str, hit: DocumentHit) -> float:
        """The dense cosine between `text` and the hit's closest indexed passage."""
        return self.kb.closeness(text, hit.kind, hit.id)

    def _title_of(self, document_id: str) -> str:
        """An article's title (a resolved case keeps its ticket code)."""
        article = self.kb.get_article(document_id)
        return article.title if article is not None else document_id

    def _steps_of(self, hit: DocumentHit) -> list[str]:
        """Fix steps from the indexed passages; an article's body when they lack them."""
        index = self.kb.index
        chunks = [index.chunks[cid] for cid in sorted(index.doc_chunks.get((hit.kind, hit.id), ()))]
        fix = [c for c in chunks if c.heading.strip().lower().startswith(FIX_HEADINGS)]
        steps = extract_steps("\n".join(f"## {c.heading}\n{c.text}" for c in fix))
        if not steps and hit.kind == "article":
            article = self.kb.get_article(hit.id)
            steps = extract_steps(article.body) if article is not None else []
        return steps

    @staticmethod
    def _fill_understood(reply: Reply, state: State) -> Reply:
        reply.systems, reply.symptoms = list(state.systems), list(state.symptoms)
        reply.department = state.department
        return reply

    # ---- hand-over and tickets ---------------------------------------------------------
    def _handover(
        self, state: State, message: str, lang: str, ctx: TurnContext, history: History,
        intent: str,
    ) -> Reply:
        state.pending = None
        reply = Reply(_text("handover", lang), lang, intent)
        reply.actions.append(self._open_ticket(state, message, lang, ctx, history))
        return self._fill_understood(reply, state)

    def _open_ticket(
        self, state: State, message: str, lang: str, ctx: TurnContext, history: History
    ) -> dict[str, Any]:
        prefill = ticket_prefill(state, [*history(), ("user", message)], ctx.hospital_id, lang,
                                 title_of=self._title_of)
        url_fields = {k: v for k, v in prefill.items() if v and k != "tried_articles"}
        url_fields["description"] = shorten(prefill["description"], MAX_URL_DESCRIPTION_CHARS)
        if prefill["tried_articles"]:
            # The form keeps the ids in a hidden field: the ticket records what was read.
            url_fields["tried"] = ",".join(prefill["tried_articles"])
        return {"type": "open_ticket", "prefill": prefill, "url": f"/tickets/new?{urlencode(url_fields)}"}

    def _ticket_status(self, code: str, lang: str, ctx: TurnContext) -> Reply:
        if self.desk is None:
            return Reply(_text("ticket_unavailable", lang), lang, Intent.TICKET_STATUS.value)
        from weibao.routing.desk import Scope
        from weibao.routing.errors import NotFound

        scope = Scope(None if ctx.all_hospitals else ctx.ticket_scope)
        if not ctx.all_hospitals and not ctx.ticket_scope:
            # A caller bound to no hospital and not vendor staff sees no tickets.
            return Reply(_text("ticket_unknown", lang, code=code), lang, Intent.TICKET_STATUS.value)
        try:
            ticket = self.desk.get(code, scope)
        except NotFound:
            # Another hospital's ticket gets exactly this answer too: no existence leak.
            return Reply(_text("ticket_unknown", lang, code=code), lang, Intent.TICKET_STATUS.value)
        assignee = None
        if ticket.assignee_id:
            try:
                assignee = self.desk.engineer(ticket.assignee_id).name
            except NotFound:
                assignee = None
        tz = zone(ticket.timezone)

        def local(at: datetime | None) -> str:
            return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "-"

        if ticket.status in ("resolved", "closed") and ticket.resolved_at:
            due = _text("done_at", lang, at=local(ticket.resolved_at), tz=ticket.timezone)
        elif ticket.first_response_at is None:
            due = _text("due_response", lang, at=local(ticket.response_due), tz=ticket.timezone)
        else:
            due = _text("due_resolution", lang, at=local(ticket.resolution_due), tz=ticket.timezone)
        zh, en = STATUS_NAMES.get(ticket.status, (ticket.status, ticket.status))
        status = zh if lang == "zh" else en
        text = _text(
            "ticket_status", lang, code=ticket.code, title=ticket.title, status=status,
            assignee=assignee or _text("unassigned", lang), due=due,
        )
        action = {
            "type": "ticket_status", "code": ticket.code, "status": ticket.status,
            "assignee": assignee, "priority": ticket.priority,
            "response_due": ticket.response_due.isoformat() if ticket.response_due else None,
            "resolution_due": ticket.resolution_due.isoformat() if ticket.resolution_due else None,
            "timezone": ticket.timezone, "url": f"/tickets/{ticket.code}",
        }
        return Reply(text, lang, Intent.TICKET_STATUS.value, actions=[action])


def _main_system(hit: DocumentHit) -> str:
    """The hit's first specific system (a printer article's ward system, not "terminal")."""
    specific = [s for s in hit.systems if s not in GENERIC_SYSTEMS] or hit.systems[:1]
    return specific[0] if specific else ""


_FILLER = re.compile(
    r"为什么|为啥|怎么办|怎么回事|怎么|咋办|咋|总是|老是|一直|突然|又|还|都|就|了|啊|呢|吗|呀|吧|我们|我|的|这边|那边"
    r"|\b(?:why|my|the|a|is|it|does|doesn'?t|won'?t|can'?t|not|again|help|please|any|idea)\b",
    re.IGNORECASE,
)


def is_vague(message: str, linked: Any) -> bool:
    """True when the message says little beyond the problem type: 「打印不出来」.

    Only such messages get a follow-up; a longer description goes straight to search,
    which ranks it better than one more question would.
    """
    if linked is None:
        return False
    mentions = list(linked.mentions())
    if any(m.kind == "terms" for m in mentions):
        # A named thing (条码, 证书, 堡垒机) narrows the problem beyond its type: search
        # ranks 「条码打出来空白」 and 「签名证书过期」 right without a question.
        return False
    rest = message
    for mention in sorted(mentions, key=lambda m: m.span[0], reverse=True):
        start, end = mention.span
        rest = rest[:start] + " " + rest[end:]
    rest = _FILLER.sub(" ", rest)
    return sum(1 for c in rest if c.isalnum()) <= 2


def ticket_prefill(
    state: State, transcript: Sequence[tuple[str, str]], hospital_id: str | None, lang: str,
    title_of: Callable[[str], str] = str,
) -> dict[str, Any]:
    """The ticket form's fields from the conversation: nobody has to type it again."""
    who = {"user": "用户" if lang == "zh" else "User", "assistant": "助手" if lang == "zh" else "Assistant"}
    header = (
        "以下为智能助手对话记录（已脱敏）：" if lang == "zh" else "Chat transcript (masked):"
    )
    lines = [header]
    for role, text in transcript:
        said = " ".join(text.split())
        lines.append(f"{who.get(role, role)}：{shorten(said, 160) if role == 'assistant' else said}")
    if state.cited:
        label = "已尝试的资料" if lang == "zh" else "Already tried"
        # People read the articles' titles; the ids stay in tried_articles for the form.
        titles = [f"《{title_of(i)}》" if lang == "zh" else f"“{title_of(i)}”" for i in state.cited]
        lines.append(f"{label}：{'、'.join(titles) if lang == 'zh' else '; '.join(titles)}")
    description = "\n".join(lines)
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[: MAX_DESCRIPTION_CHARS - 1] + "…"
    return {
        "hospital_id": hospital_id,
        "title": shorten(state.problem or state.problem_title, 80),
        "description": description,
        "system": state.systems[0] if state.systems else None,
        "symptom": state.symptoms[0] if state.symptoms else None,
        "department": state.department,
        "tried_articles": list(state.cited),
    }
