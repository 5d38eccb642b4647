"""Optional rewording of a grounded answer by an OpenAI-compatible chat endpoint.

Hospitals run such models on their own premises. The model sees only the question, the
grounded draft and the cited passages, and is told to add nothing else; any failure,
timeout or answer that drops or invents citation markers falls back to the draft.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Sequence

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 2000
_MARKER = re.compile(r"\[(\d{1,2})\]")

SYSTEM_PROMPT = {
    "zh": (
        "你是医院信息系统维保助手。只根据下面编号的资料改写草稿答复，使其简洁、口语化。"
        "不得加入资料中没有的任何事实、步骤、数字或建议；保留每个步骤后面的引用编号，如 [1]、[2]；"
        "不要编造新的编号。用简体中文回答，不超过 8 行。"
    ),
    "en": (
        "You are the maintenance assistant for hospital software. Reword the draft reply "
        "using only the numbered passages below, short and plain. Do not add any fact, step, "
        "number or advice that the passages do not contain; keep the citation markers such as "
        "[1] and [2] after each step and never invent new ones. Answer in English, 8 lines at most."
    ),
}


def chat_completions_url(base: str) -> str:
    """Accepts the server root, its /v1, or the full /v1/chat/completions address."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


def build_messages(
    question: str, draft: str, passages: Sequence[str], lang: str
) -> list[dict[str, str]]:
    sources = "\n\n".join(f"[{n}] {p}" for n, p in enumerate(passages, start=1))
    label = ("问题", "资料", "草稿") if lang == "zh" else ("Question", "Passages", "Draft")
    user = f"{label[0]}：\n{question}\n\n{label[1]}：\n{sources}\n\n{label[2]}：\n{draft}"
    return [{"role": "system", "content": SYSTEM_PROMPT[lang]}, {"role": "user", "content": user}]


def acceptable(answer: str, citations: int) -> bool:
    """Cites at least one passage, and only passages that exist."""
    markers = {int(m) for m in _MARKER.findall(answer)}
    return bool(answer.strip()) and len(answer) <= MAX_ANSWER_CHARS and bool(markers) and (
        markers <= set(range(1, citations + 1))
    )


def reword(
    *, url: str, model: str, timeout: float, question: str, draft: str,
    passages: Sequence[str], lang: str,
) -> str | None:
    """The model's wording of `draft`, or None when it fails or breaks the rules."""
    body = json.dumps(
        {
            "model": model,
            "messages": build_messages(question, draft, passages, lang),
            "temperature": 0,
            "stream": False,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(
        chat_completions_url(url), data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
        answer = str(payload["choices"][0]["message"]["content"]).strip()
    except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError) as exc:
        # Type only: the exception text may carry the request, which holds chat text.
        log.warning("chat rewording failed (%s); using the grounded reply", type(exc).__name__)
        return None
    if not acceptable(answer, len(passages)):
        log.warning("chat rewording dropped or invented citations; using the grounded reply")
        return None
    return answer
