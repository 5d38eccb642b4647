"""Picks the passage of a chunk that best matches the query and marks the matches."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from weibao.kb.tokenize import normalize

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n")
_BLANKS = re.compile(r"[ \t]+")
_MARKDOWN_NOISE = re.compile(r"(`{1,3}|\*\*|__|^#+\s*|^\s*[-*+]\s+)", re.M)


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]

    def to_html(self) -> str:
        out, pos = [], 0
        for start, end in self.highlights:
            out.append(html.escape(self.text[pos:start]))
            out.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            pos = end
        out.append(html.escape(self.text[pos:]))
        return "".join(out)


# Per-text work a search repeats for the same passages (a popular article's best passage is
# shown again and again): its sentences and their folded forms. Keyed by the text itself, so
# an edited passage is a new entry; ~1-2 KB each.
PASSAGE_CACHE = 2048


@functools.lru_cache(maxsize=PASSAGE_CACHE)
def _fold(text: str) -> str:
    """`normalize`, remembered: a shown window is folded again for its highlights."""
    return normalize(text)


def _has_markdown_noise(text: str) -> bool:
    """False only when `_MARKDOWN_NOISE` cannot match: none of its characters (a few
    substring scans, cheaper than the regex over a whole passage)."""
    return any(mark in text for mark in _NOISE_MARKS)


_NOISE_MARKS = ("`", "*", "__", "#", "-", "+")


@functools.lru_cache(maxsize=PASSAGE_CACHE)
def _pieces(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The text's sentences without markdown noise, and each one folded."""
    clean = _MARKDOWN_NOISE.sub("", text) if _has_markdown_noise(text) else text
    if "\t" in clean or "  " in clean:  # else every blank run is one space already
        clean = _BLANKS.sub(" ", clean)
    clean = clean.strip()
    pieces = tuple(p.strip() for p in _SENTENCE_END.split(clean) if p and p.strip())
    return pieces, tuple(normalize(p) for p in pieces)


@functools.lru_cache(maxsize=256)
def _term_patterns(terms: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """One compiled pattern per distinct term, longest first (a search's hits share them)."""
    # Longest first, equal lengths by the term (not by the set's per-process hash order,
    # which made overlapping highlights differ between workers).
    return tuple(re.compile(re.escape(t)) for t in sorted(set(terms), key=lambda t: (-len(t), t)))


def _spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    folded = _fold(text)
    spans: list[tuple[int, int]] = []
    for pattern in _term_patterns(tuple(t for t in terms if t)):
        for match in pattern.finditer(folded):
            span = (match.start(), match.end())
            if not any(s < span[1] and span[0] < e for s, e in spans):
                spans.append(span)
    return sorted(spans)


def make_snippet(text: str, terms: Iterable[str], width: int = 160) -> Snippet:
    """The window of about `width` characters holding the most distinct query terms."""
    terms = [t for t in terms if len(t) > 1 or not t.isascii()]
    pieces, folded_pieces = _pieces(text)
    if not pieces:
        return Snippet("", [])
    distinct = set(terms)
    best_i, best_score = 0, -1.0
    for i, folded in enumerate(folded_pieces):
        score = sum(len(t) for t in distinct if t in folded) + 0.001 * (len(pieces) - i)
        if score > best_score:
            best_i, best_score = i, score
    window = pieces[best_i]
    j = best_i + 1
    while j < len(pieces) and len(window) + len(pieces[j]) + 1 <= width:
        window = f"{window} {pieces[j]}"
        j += 1
    if len(window) > width:
        spans = _spans(window, terms)
        start = max(0, (spans[0][0] - 20) if spans else 0)
        window = ("…" if start else "") + window[start : start + width] + "…"
    return Snippet(window, _spans(window, terms))
