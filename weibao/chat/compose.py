"""The grounded reply: the relevant fix steps of the best source, each tied to a citation.

Pure functions over search hits and source text; nothing here reads the database. The
reply never says more than the cited passages: below the confidence threshold it says
that nothing reliable was found instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from weibao.kb.presenters import hit_url
from weibao.kb.search import DocumentHit, Understanding
from weibao.kb.tokenize import cjk_ratio

MAX_STEPS = 5
MAX_STEP_CHARS = 140
MAX_PASSAGE_CHARS = 400
MAX_SEE_ALSO = 2
# A same-language source scoring this close to the best one goes first (the user can read
# it). Fused scores are rank-based and close together (with the dense vote of English at
# 15, ranks 1-5 lie within 0.94 of the best), so 0.8 put a lesser article first in one
# English answer in four: on the held-out development sets the first citation was an
# expected article for 0.750/0.720 of the queries at 0.8, 0.840/0.787 at 0.95, 0.875/0.809
# with ties only (bench/chat_citations.py). Ties only: the best source first, and a
# same-language source that ranks as high shows among the "see also" items.
SAME_LANGUAGE_RATIO = 1.0
SEE_ALSO_RATIO = 0.7
# Below the confidence threshold, the best source still answers when the dense model puts
# one of its passages this close to the question (cosine). Confidence rests on linking and
# shared words, so a question with no linked entity, or in English against a Chinese
# article (no shared word), could not reach it even when search ranked the right article
# first. On the three development sets (668 queries) "nothing reliable" and "out of scope"
# replies fell from 41 to 22 and the first citation was right 25 more times (with the
# follow-up rule of dialogue.py), none lost; the right articles lay at cosine 0.45-0.55,
# while 20 messages about topics the base does not cover (canteen cards, parking gates,
# lifts, payslips) reach at most 0.36 and still get no answer.
SEMANTIC_ANSWER_COSINE = 0.4


# A symptom alone (no system, no named thing) tells the kind of problem, not what it is about:
# 「今天天气怎么样」 (how_to), 「电梯卡在三楼了」 (slow), "where can I see my payslip" link
# nothing else, yet the confidence's linking half (the best article carries that symptom)
# answered them. Such a message, like one that links nothing, is answered only when the best
# source is at least this close by meaning (cosine). On the five development sets the right
# answers with no system or named thing linked (16 of 19 on heldout5, the set the models never trained
# on) lay at 0.267 or more; of 40 messages about things the knowledge base does not cover
# (weather, canteen, parking, payslips, lifts) 17 were answered before, 9 after.
TOPIC_FLOOR_COSINE = 0.22


def semantic_bar(threshold: float) -> float:
    """The cosine a meaning-only answer needs: a stricter confidence setting raises it too."""
    return max(SEMANTIC_ANSWER_COSINE, threshold)

FIX_HEADINGS = ("处理步骤", "处理方法", "解决方法", "解决步骤", "排查与处理", "fix steps", "fix", "resolution", "steps")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,2})[.)、．]\s*(.+)$")
_MARKUP = re.compile(r"\*\*|__|`|\[([^\]]*)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"[。；;！!？?]|\.\s")


@dataclass(slots=True)
class Composed:
    reply: str
    citations: list[dict[str, str]]
    confidence: float
    answered: bool
    sources: list[DocumentHit] = field(default_factory=list)


def detect_language(text: str, fallback: str = "zh") -> str:
    """Chinese in, Chinese out; English in, English out; too few letters keeps the fallback."""
    letters = [c for c in re.sub(r"T-\d{4}-\d{5}", "", text, flags=re.I) if c.isalpha()]
    if len(letters) < 2:
        return fallback
    return "zh" if cjk_ratio(text) >= 0.3 else "en"


def _plain(text: str) -> str:
    return _MARKUP.sub(lambda m: m.group(1) or "", text).strip()


def extract_steps(markdown: str) -> list[str]:
    """Numbered steps under the fix heading (处理步骤 / Fix steps), continuation lines joined."""
    steps: list[str] = []
    in_fix = False
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(1).strip().lower()
            in_fix = any(title.startswith(h) for h in FIX_HEADINGS)
            continue
        if not in_fix or not line.strip():
            continue
        numbered = _NUMBERED.match(line)
        if numbered:
            steps.append(_plain(numbered.group(2)))
        elif steps and line.startswith((" ", "\t", "-", "*")):
            steps[-1] += " " + _plain(line.strip().lstrip("-* "))
    return [s for s in steps if s]


def shorten(text: str, limit: int = MAX_STEP_CHARS) -> str:
    """Cuts at the last sentence end before `limit`, else hard, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends and ends[-1] >= limit // 3 else limit
    return head[:cut].rstrip() + "…"


def pick_steps(
    steps: Sequence[str], terms: set[str], tokens_of: Callable[[str], list[str]],
    max_steps: int = MAX_STEPS,
) -> list[tuple[int, str]]:
    """The steps that mention the query's words most, in their original order (1-based).

    With no overlap at all the first steps are kept: procedures start with the basics.
    """
    numbered = list(enumerate(steps, start=1))
    if len(numbered) <= max_steps:
        return numbered
    scored = [(len(terms & set(tokens_of(text))), -n, n, text) for n, text in numbered]
    if not any(s[0] for s in scored):
        return numbered[:max_steps]
    best = sorted(scored, reverse=True)[:max_steps]
    return sorted(((n, text) for _, _, n, text in best), key=lambda x: x[0])


def link_match(hit: DocumentHit, understanding: Understanding) -> float:
    """1 when the hit covers every linked kind (system, symptom), 0 when it misses all."""
    parts = []
    if understanding.systems:
        parts.append(float(bool(set(understanding.systems) & set(hit.systems))))
    if understanding.symptoms:
        parts.append(float(bool(set(understanding.symptoms) & set(hit.symptoms))))
    return sum(parts) / len(parts) if parts else 0.0


def confidence(
    hits: Sequence[DocumentHit], understanding: Understanding, query_terms: set[str],
    doc_terms: set[str], cross_language_closeness: float = 0.0,
) -> float:
    """Retrieval confidence in [0, 1] of the first hit.

    Half from entity linking (does the hit carry the linked system and symptom), 0.4 from
    the share of the query's words found in the hit's passage, 0.1 from the fused-score
    margin over the runner-up. RRF scores are rank-based, so alone they say little.

    A hit in the other language shares no word with the question ("barcode gun beeps but
    wrong digits" and 《扫码枪扫不出来、扫出来是乱码或少几位》), so there the dense cosine
    `cross_language_closeness` stands in for the share of shared words when it is higher.
    """
    if not hits:
        return 0.0
    best = hits[0]
    lexical = len(query_terms & doc_terms) / len(query_terms) if query_terms else 0.0
    lexical = max(lexical, cross_language_closeness)
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    margin = (best.score - runner_up) / best.score if best.score > 0 else 0.0
    value = 0.5 * link_match(best, understanding) + 0.4 * lexical + 0.1 * min(1.0, 5 * margin)
    return round(min(1.0, max(0.0, value)), 3)


def order_sources(
    hits: Sequence[DocumentHit], understanding: Understanding, lang: str
) -> list[DocumentHit]:
    """Hits best first, but a close hit in the user's language goes ahead of the best one.

    Only swaps within hits of the same kind that match the linked entities equally well,
    so that the preference never trades a relevant source for a less relevant one (nor an
    article for a resolved ticket).
    """
    if not hits:
        return []
    best = hits[0]
    if best.language == lang:
        return list(hits)
    wanted = _matched(best, understanding)
    for i, hit in enumerate(hits[1:], start=1):
        if hit.score < SAME_LANGUAGE_RATIO * best.score:
            break
        if hit.kind == best.kind and hit.language == lang and _matched(hit, understanding) >= wanted:
            return [hit, *hits[:i], *hits[i + 1 :]]
    return list(hits)


def _matched(hit: DocumentHit, u: Understanding) -> set[tuple[str, str]]:
    """The linked entities that the hit carries."""
    return {("system", s) for s in u.systems if s in hit.systems} | {
        ("symptom", s) for s in u.symptoms if s in hit.symptoms
    }


def _citation(hit: DocumentHit, passage: str) -> dict[str, str]:
    return {
        "id": hit.id,
        "kind": hit.kind,
        "title": hit.title,
        "url": hit_url(hit),
        "passage": shorten(passage, MAX_PASSAGE_CHARS),
    }


NOTHING_RELIABLE = {
    "zh": "抱歉，知识库里没有找到可靠的处理办法，我不想凭猜测回答。"
    "建议直接提交工单，我已经根据对话内容帮您预先填好了。",
    "en": "Sorry, I found nothing reliable in the knowledge base and will not guess. "
    "Please open a ticket: I have prefilled it from our conversation.",
}
_INTRO = {
    "zh": "根据《{title}》[1]，可以按以下步骤处理：",
    "en": "According to “{title}” [1], try these steps:",
}
_QUOTE = {"zh": "《{title}》[1] 中提到：{passage} [1]", "en": "“{title}” [1] says: {passage} [1]"}
_OTHER_LANGUAGE = {
    "zh": "（这份资料是英文的，步骤按原文引用。）",
    "en": "(This source is in Chinese; its steps are quoted as written.)",
}
_SEE_ALSO = {"zh": "类似情况还可参考：{items}。", "en": "See also: {items}."}
_CLOSING = {
    "zh": "如果照做后还是不行，告诉我「还是不行」，我帮您填好工单。",
    "en": "If it still fails, tell me “still broken” and I will prefill a ticket for you.",
}


def compose_answer(
    hits: Sequence[DocumentHit],
    understanding: Understanding,
    lang: str,
    *,
    query_terms: set[str],
    doc_terms_of: Callable[[DocumentHit], set[str]],
    steps_of: Callable[[DocumentHit], list[str]],
    tokens_of: Callable[[str], list[str]],
    threshold: float,
    similarity_of: Callable[[DocumentHit], float] | None = None,
) -> Composed:
    """The reply for a problem, or "nothing reliable" when confidence < threshold and the
    best source's passages are not close to the question by meaning (`similarity_of`,
    cosine in [-1, 1]; below `semantic_bar(threshold)` or not given)."""
    ordered = order_sources(hits, understanding, lang)
    if not ordered:
        return Composed(NOTHING_RELIABLE[lang], [], 0.0, answered=False)
    best = ordered[0]
    closeness = similarity_of(best) if similarity_of is not None else None
    score = confidence(
        ordered, understanding, query_terms, doc_terms_of(best),
        cross_language_closeness=closeness if closeness is not None and best.language != lang else 0.0,
    )
    reliable = score >= threshold or (closeness is not None and closeness >= semantic_bar(threshold))
    if closeness is not None and not (understanding.systems or understanding.terms):
        reliable = reliable and closeness >= TOPIC_FLOOR_COSINE
    if not reliable:
        return Composed(NOTHING_RELIABLE[lang], [], score, answered=False)
    steps = pick_steps(steps_of(best), query_terms, tokens_of)
    lines: list[str] = []
    if steps:
        lines.append(_INTRO[lang].format(title=best.title))
        # Numbered as shown, 1, 2, 3: a kept subset of a longer procedure must not read
        # as if steps were missing.
        lines += [f"{n}. {shorten(text)} [1]" for n, (_, text) in enumerate(steps, start=1)]
        passage = "\n".join(f"{n}. {text}" for n, (_, text) in enumerate(steps, start=1))
    else:
        passage = best.snippet.text or best.title
        lines.append(_QUOTE[lang].format(title=best.title, passage=shorten(passage, 200)))
    if best.language != lang:
        lines.insert(1, _OTHER_LANGUAGE[lang])
    citations = [_citation(best, passage)]
    sources = [best]
    for hit in ordered[1:]:
        if len(sources) > MAX_SEE_ALSO or hit.score < SEE_ALSO_RATIO * best.score:
            break
        if _matched(hit, understanding) >= _matched(best, understanding) and (hit.kind, hit.title) not in {
            (s.kind, s.title) for s in sources
        }:
            sources.append(hit)
            citations.append(_citation(hit, hit.snippet.text or hit.title))
    if len(sources) > 1:
        quote = "《{}》[{}]" if lang == "zh" else "“{}” [{}]"
        items = ("、" if lang == "zh" else "; ").join(
            quote.format(s.title, n) for n, s in enumerate(sources[1:], start=2)
        )
        lines.append(_SEE_ALSO[lang].format(items=items))
    lines.append(_CLOSING[lang])
    return Composed("\n".join(lines), citations, score, answered=True, sources=sources)
