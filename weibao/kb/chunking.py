"""Splits a Markdown article into passages that fit the embedding model's window."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


@dataclass(frozen=True, slots=True)
class Passage:
    ordinal: int
    heading: str
    text: str


def _sections(body: str) -> list[tuple[str, str]]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) <= 3:
            sections.append((match.group(2), []))
        else:
            sections[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in sections if "\n".join(lines).strip()]


def _blocks(text: str) -> list[str]:
    """Paragraphs, with each list item or code block kept whole."""
    blocks: list[str] = []
    current: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        starts_item = bool(re.match(r"^\s*(\d+[.)]|[-*+])\s+", line)) and not line.startswith("  ")
        if not in_code and (not line.strip() or starts_item) and current:
            blocks.append("\n".join(current).strip())
            current = []
        if line.strip() or in_code:
            current.append(line)
    if current:
        blocks.append("\n".join(current).strip())
    return [b for b in blocks if b]


def chunk_markdown(body: str, max_chars: int = 600) -> list[Passage]:
    """Sections by heading; a long section is split between blocks, never mid-block."""
    passages: list[Passage] = []
    for heading, text in _sections(body):
        piece: list[str] = []
        size = 0
        for block in _blocks(text):
            if piece and size + len(block) > max_chars:
                passages.append(Passage(len(passages), heading, "\n".join(piece)))
                piece, size = [], 0
            piece.append(block)
            size += len(block) + 1
        if piece:
            passages.append(Passage(len(passages), heading, "\n".join(piece)))
    return passages
