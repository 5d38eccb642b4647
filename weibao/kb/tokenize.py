"""Tokenisation for BM25: jieba for Chinese runs, lower-cased words for Latin runs.

The same function tokenises documents and queries, so both sides agree. Domain words
(the ontology's aliases) join jieba's dictionary so that 「片子」 or 「医保卡」 stay whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import jieba

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

ZH_STOPWORDS = frozenset(
    "的 了 是 在 我 你 他 她 它 们 我们 也 就 都 和 与 或 及 吗 呢 啊 吧 呀 哦 嗯 这 那 这个 那个 "
    "一个 一下 有 没 被 把 给 让 到 从 对 会 能 要 又 还 很 太 更 最 请 下 上 时 后 中 里 等 着 过 "
    "为 以 而 但 如果 可以 已经 现在 今天 一直 老是 总是 突然".split()
)
EN_STOPWORDS = frozenset(
    "a an the is are was were be been being to of in on at for and or but with my our your "
    "it its this that these those i we you he she they me us them do does did doing have has "
    "had having from by as not no can cannot cant could would should will just so if then "
    "than there here when what which who how why all any some into out up down again".split()
)


def normalize(text: str) -> str:
    """NFKC folds full-width letters and digits; lower-casing makes English match.
    ASCII text is its own NFKC form: lower-cased only (NFKC costs ~0.1 us a character)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).lower()


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among the letters of `text` (0 for an empty string)."""
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CJK.match(c)) / len(letters)


def _stem(word: str) -> str:
    # A light English stemmer: plural and a few verb endings are enough for this corpus.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    return word


class Tokenizer:
    """Turns text into BM25 tokens; a private jieba dictionary holds the domain words."""

    def __init__(self, domain_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word in domain_words:
            word = normalize(word).strip()
            if len(word) >= 2 and has_cjk(word):
                self._jieba.add_word(word, freq=2000)

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for match in _RUN.finditer(normalize(text)):
            run = match.group()
            if has_cjk(run[0]):
                for tok in self._jieba.cut_for_search(run, HMM=True):
                    if tok not in ZH_STOPWORDS:
                        out.append(tok)
            else:
                parts = re.split(r"[-_.]", run)
                if len(parts) > 1:
                    out.append(run)
                for part in parts:
                    if part and part not in EN_STOPWORDS and (len(part) > 1 or part.isdigit()):
                        out.append(_stem(part))
        return out

    def segment(self, text: str) -> list[str]:
        """jieba's plain segmentation (no search-mode sub-words), for snippets and linking."""
        return [t for t in self._jieba.lcut(normalize(text), HMM=True) if t.strip()]
