"""Marks, in a rendered article, the passage a search matched: the block (paragraph, list
item, table cell, heading) holding most of the query's words gets `id="matched"` and its
words are wrapped in <mark>, so the reader who came from the results lands on it.

Works on the sanitised HTML: only text between tags is touched, and nothing from the
query is inserted (the marks wrap text the article already holds).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BLOCK = re.compile(r"<(p|li|td|h2|h3|h4)>(.*?)</\1>", re.S)
_TEXT = re.compile(r">([^<]+)<")


def _terms(tokens: Iterable[str]) -> list[str]:
    """Distinct words worth marking, longest first (so 打印机 wins over 打印)."""
    kept = {t.lower() for t in tokens if len(t) >= 2 and not t.isdigit()}
    return sorted(kept, key=lambda t: (-len(t), t))


def _mark_text(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", text)


def mark_passage(html: str, tokens: Iterable[str]) -> tuple[str, bool]:
    """(html with the best-matching block marked, whether a block matched)."""
    terms = _terms(tokens)
    if not terms:
        return html, False
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.I)
    best: re.Match[str] | None = None
    best_score = 0
    for block in _BLOCK.finditer(html):
        text = re.sub(r"<[^>]+>", "", block.group(2)).lower()
        score = sum(1 for t in terms if t in text)
        if score > best_score:
            best, best_score = block, score
    if best is None:
        return html, False
    tag, inner = best.group(1), best.group(2)
    marked = _TEXT.sub(lambda m: ">" + _mark_text(m.group(1), pattern) + "<", f">{inner}<")[1:-1]
    replacement = f'<{tag} id="matched" class="matched">{marked}</{tag}>'
    return html[: best.start()] + replacement + html[best.end():], True
