"""Entity linking: free text (口语, English, mixed) → systems, symptoms, departments, terms.

The linker precomputes a dictionary of normalized aliases at construction and scans a
text for the longest alias matches, kind by kind, so that a symptom phrase containing a
device name ("打印机没反应") links both the device's system and the symptom. It then
drops what the words around a match contradict: Latin aliases inside longer words
("his" in "this"), Chinese aliases that cut through a jieba word ("门诊" in "专门诊断"),
and negated mentions ("不是打印的问题", "not a printer issue").

Placeholders left by patient-data masking ([病历号], [姓名] …, see `weibao.core.privacy`)
are blanked before matching: "[病历号]" says nothing about the EMR system.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from weibao.core.privacy import PLACEHOLDERS
from weibao.graph.english import stem
from weibao.graph.ontology import KINDS, Entry, Ontology, has_cjk, load_ontology, normalize

_WORD_CHAR = re.compile(r"[a-z0-9_]")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
# Masking placeholders, as `normalize` leaves them (full-width brackets become ASCII).
_PLACEHOLDER = re.compile("|".join(re.escape(normalize(p)) for p in PLACEHOLDERS))

# Negation. Strong cues negate a mention right after them ("不是卡顿", "not slow"), or a bit
# further when a "problem" word follows ("不是医保卡读卡器的问题"). Weak cues ("没有", "no")
# only negate with such a word after the mention: "no images" is a symptom, "no printer
# issue" is not. "是不是" asks rather than denies.
_PRE_STRONG = r"并不是|并非|不是|不属于|排除了|排除|而非|isn't|isnt|is not|wasn't|was not|aren't|are not|not|never|rather than|ruled out"
_PRE_WEAK = r"没有|没|no|without"
_PRE_CUE = re.compile(rf"(?P<strong>{_PRE_STRONG})|(?P<weak>{_PRE_WEAK})")
_POST_PROBLEM = re.compile(
    r"的问题|问题|的原因|原因|导致|引起|的故障|故障|的事|issues?|problems?|fault|the cause|related"
)
_POST_FINE = re.compile(
    r"没有问题|没问题|没毛病|是好的|好好的|正常|没关系|无关|没过期|"
    r"is fine|are fine|works fine|works|is ok|is okay|has nothing to do|"
    r"is not the problem|isn't the problem|not the problem|not the issue|isn't the issue"
)
_CLAUSE = r"[，,。.;；!！?？:：\n]|而是|但是|但|可是|却|还是|but|instead"
_POST_BREAKERS = re.compile(_CLAUSE)
# After a denial, "是" starts the affirmation: 不是打印机，是网络 / 不是打印机是网络.
_PRE_BREAKERS = re.compile(_CLAUSE + "|是")
_CLAUSE_PUNCT = re.compile(r"[，,。.;；!！?？\n]")
_UNIT = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]")
# Latin words as the stem matcher reads them; words of a multi-word alias may be joined by
# spaces, a hyphen or a slash ("time-out", "time out").
_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_WORD_JOIN = re.compile(r"[ \t\-/]+")
# A one-word alias matches by its stem only from this length, and only when written in its
# base form: short words stay exact ("lock" is not "locked"), and "nursing" (a system's
# name) would otherwise read every "nurse" (a role) as the nursing system.
_STEM_MIN_CHARS = 6
_INFLECTED = ("ing", "ed", "s")
_STOPWORDS = frozenset(
    "a an the my our your this that these those any really actually to with of it its is are".split()
)
# Acronyms that are also everyday English words ("HIS" / "his"): in Latin context they
# denote the system only when written in capitals ("a copy of his MRI" names no HIS).
_WORD_ACRONYMS = frozenset({"his", "ca", "dip", "it", "us", "am", "as", "or", "an", "on", "do"})
_NEG_WINDOW = 16
# After a mention: long enough for the longest English "fine" phrases ("is not the
# problem", "has nothing to do"), which the 16-character window cut off so that they never
# matched; the gap rules (_POST_GAP, two units for "fine") keep them as near as before.
# Before a mention the window stays 16: a longer one let "not" deny the object of a verb
# ("orders are not reaching the analyzers" is no denial of the LIS).
_POST_WINDOW = 24
_DIRECT_GAP = 1
_PROBLEM_GAP = 6
_WEAK_GAP = 3
_POST_GAP = 3

# A department hints at a system only when the text names none; the hint stays weak.
_IMPLIED_FACTOR = 0.35


@dataclass(frozen=True, slots=True)
class Mention:
    kind: str
    id: str
    name_zh: str
    name_en: str
    span: tuple[int, int]
    text: str
    confidence: float
    implied: bool = False
    # Set by the ensemble (weibao.graph.ensemble): the learned model's probability for this
    # id, and whether the dictionary found it ("dictionary", with a span) or only the model.
    probability: float | None = None
    source: str = "dictionary"

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name(lang),
            "span": [self.span[0], self.span[1]],
            "confidence": self.confidence,
            "probability": self.probability,
            "source": self.source,
        }


@dataclass(slots=True)
class LinkResult:
    systems: list[Mention] = field(default_factory=list)
    symptoms: list[Mention] = field(default_factory=list)
    departments: list[Mention] = field(default_factory=list)
    terms: list[Mention] = field(default_factory=list)
    ontology: Ontology | None = field(default=None, repr=False, compare=False)
    # (kind, id) the text names only to deny it ("不是打印机的问题"): no other source may
    # bring them back (the learned model reads words, not negation).
    negated: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)

    def of(self, kind: str) -> list[Mention]:
        if kind not in KINDS:
            raise KeyError(kind)
        return getattr(self, kind)

    def ids(self, kind: str) -> list[str]:
        return [m.id for m in self.of(kind)]

    def mentions(self) -> list[Mention]:
        return [m for kind in KINDS for m in self.of(kind)]

    def __bool__(self) -> bool:
        return any(self.of(kind) for kind in KINDS)

    def to_dict(self, lang: str = "zh") -> dict[str, list[dict[str, Any]]]:
        return {kind: [m.to_dict(lang) for m in self.of(kind)] for kind in KINDS}


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str
    id: str
    confidence: float
    check_start: bool  # alias starts with a Latin letter or digit: needs a word boundary
    check_end: bool
    fallback: bool = False
    capitals_only: bool = False  # an acronym that is also an English word (see _WORD_ACRONYMS)


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    target: _Target
    factor: float


_added_words: dict[int, set[str]] = {}


class EntityLinker:
    """Links text to ontology entries; build once, call `link` per text (thread-safe reads)."""

    def __init__(
        self,
        ontology: Ontology | None = None,
        *,
        use_jieba: bool = True,
        tokenizer: Any = None,
        min_confidence: float = 0.4,
    ) -> None:
        """`tokenizer`: a jieba.Tokenizer; default the global one, which then learns the
        ontology's words (the same words search adds to its dictionary)."""
        self.ontology = ontology if ontology is not None else load_ontology()
        self.min_confidence = min_confidence
        self._table: dict[str, tuple[_Target, ...]] = {}
        self._alias_kinds: dict[str, frozenset[str]] = {}
        lengths: dict[str, set[int]] = {}
        for key, targets in self.ontology.alias_targets().items():
            ids_per_kind: dict[str, int] = {}
            for t in targets:
                ids_per_kind[t.kind] = ids_per_kind.get(t.kind, 0) + 1
            built = tuple(
                _Target(
                    kind=t.kind,
                    id=t.id,
                    confidence=_base_confidence(key, t.canonical, t.typo, ids_per_kind[t.kind] > 1),
                    check_start=_WORD_CHAR.match(key[0]) is not None,
                    check_end=_WORD_CHAR.match(key[-1]) is not None,
                    fallback=t.fallback,
                    capitals_only=key in _WORD_ACRONYMS and t.surface.isupper(),
                )
                for t in targets
            )
            self._table[key] = built
            self._alias_kinds[key] = frozenset(t.kind for t in targets)
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}
        # Latin aliases by the stems of their words, so that an inflected form matches too
        # ("card readers", "printed", "not connecting"): see _stem_candidates.
        self._stems: dict[tuple[str, ...], tuple[_Target, ...]] = {}
        for key, built_targets in self._table.items():
            if not key.isascii():
                continue
            words = tuple(stem(w) for w in _LATIN_TOKEN.findall(key))
            if not words or (len(words) == 1 and (len(key) < _STEM_MIN_CHARS or key.endswith(_INFLECTED))):
                continue
            self._stems[words] = self._stems.get(words, ()) + tuple(
                t for t in built_targets if t not in self._stems.get(words, ())
            )
        self._stem_lengths = tuple(sorted({len(k) for k in self._stems}, reverse=True))
        self._entries = {(e.kind, e.id): e for e in self.ontology}
        self._refinements: dict[str, list[tuple[str, tuple[str, ...], frozenset[str]]]] = {}
        for entry in self.ontology.symptoms.values():
            for rule in entry.refines:
                self._refinements.setdefault(rule.from_id, []).append(
                    (
                        entry.id,
                        tuple(normalize(w) for w in rule.near),
                        frozenset(normalize(w) for w in rule.aliases),
                    )
                )
        self._tokenizer = self._prepare_tokenizer(tokenizer) if use_jieba else None
        self.warm_up()

    # -- public -------------------------------------------------------------------------

    def link(self, text: str) -> LinkResult:
        """Mentions of each kind, one per id (its best mention), by confidence."""
        result = LinkResult(ontology=self.ontology)
        if not text:
            return result
        norm = _blank_placeholders(normalize(text))
        candidates = [c for c in self._candidates(norm) if not _lower_case_word(text, c)]
        candidates = _drop_symptoms_inside_names(candidates)
        found: dict[str, list[Mention]] = {kind: [] for kind in KINDS}
        for kind in KINDS:
            kept = []
            for cand in _longest_matches([c for c in candidates if c.target.kind == kind]):
                if _negated(norm, cand.start, cand.end):
                    result.negated.add((kind, cand.target.id))
                    continue
                confidence = round(cand.target.confidence * cand.factor, 3)
                if confidence >= self.min_confidence:
                    kept.append((cand, confidence))
            # Fallback words ("怎么") count only when nothing more specific was said.
            if any(not c.target.fallback for c, _ in kept):
                kept = [(c, conf) for c, conf in kept if not c.target.fallback]
            found[kind] = [self._mention(c.target, text, c, conf) for c, conf in kept]
        found["symptoms"] = [self._refine(m, norm) for m in found["symptoms"]]
        found["systems"] = _drop_located_systems(found)

        best: dict[tuple[str, str], Mention] = {}
        for kind in KINDS:
            for mention in found[kind]:
                _keep_best(best, mention)
        if not found["systems"]:
            for mention in found["departments"]:
                for system_id in self._entries[("departments", mention.id)].implies:
                    entry = self._entries[("systems", system_id)]
                    hint = Mention(
                        "systems",
                        system_id,
                        entry.zh,
                        entry.en,
                        mention.span,
                        mention.text,
                        round(mention.confidence * _IMPLIED_FACTOR, 3),
                        implied=True,
                    )
                    _keep_best(best, hint)
        for (kind, _), mention in sorted(
            best.items(), key=lambda kv: (-kv[1].confidence, kv[1].span[0], kv[1].id)
        ):
            result.of(kind).append(mention)
        return result

    def _refine(self, mention: Mention, norm: str) -> Mention:
        """Read a generic symptom as a specific one when its object says so (打不开 + 片子)."""
        rules = self._refinements.get(mention.id)
        if not rules:
            return mention
        start, end = mention.span
        clause = _clause_around(norm, start, end)
        matched = normalize(mention.text)
        for target_id, near, aliases in rules:
            if aliases and matched not in aliases:
                continue
            if any(w in clause for w in near):
                entry = self._entries[("symptoms", target_id)]
                return Mention(
                    "symptoms",
                    target_id,
                    entry.zh,
                    entry.en,
                    mention.span,
                    mention.text,
                    round(mention.confidence * 0.9, 3),
                )
        return mention

    def expansion_terms(self, result: LinkResult, lang: str | None = None) -> list[str]:
        return expansion_terms(result, lang, ontology=self.ontology)

    # -- matching -----------------------------------------------------------------------

    def _candidates(self, norm: str) -> list[_Candidate]:
        n = len(norm)
        table, lengths = self._table, self._lengths
        found: list[_Candidate] = []
        tokens: _Tokens | None = None
        for i, ch in enumerate(norm):
            for length in lengths.get(ch, ()):
                end = i + length
                if end > n:
                    continue
                key = norm[i:end]
                targets = table.get(key)
                if targets is None:
                    continue
                head, tail = targets[0], targets[0]
                if head.check_start and i > 0 and _WORD_CHAR.match(norm[i - 1]):
                    continue
                if tail.check_end and end < n and _WORD_CHAR.match(norm[end]):
                    continue
                if self._tokenizer is not None and _CJK_CHAR.search(key):
                    if tokens is None:
                        tokens = _Tokens(self._tokenizer, norm)
                    for target in targets:
                        factor = self._segmentation_factor(tokens, norm, i, end, target)
                        if factor > 0:
                            found.append(_Candidate(i, end, target, factor))
                else:
                    found.extend(_Candidate(i, end, t, 1.0) for t in targets)
        if self._stems:
            exact = {(c.start, c.end, c.target) for c in found}
            found.extend(c for c in self._stem_candidates(norm)
                         if (c.start, c.end, c.target) not in exact)
        return found

    def _stem_candidates(self, norm: str) -> list[_Candidate]:
        """Latin aliases matched word by word on stems: runs of Latin words joined only by
        spaces, hyphens or slashes whose stems are an alias's stems."""
        tokens = [(m.start(), m.end(), stem(m.group())) for m in _LATIN_TOKEN.finditer(norm)]
        found: list[_Candidate] = []
        for i in range(len(tokens)):
            for length in self._stem_lengths:
                j = i + length
                if j > len(tokens):
                    continue
                if any(not _WORD_JOIN.fullmatch(norm[tokens[k][1] : tokens[k + 1][0]])
                       for k in range(i, j - 1)):
                    continue
                targets = self._stems.get(tuple(t[2] for t in tokens[i:j]))
                if targets:
                    start, end = tokens[i][0], tokens[j - 1][1]
                    found.extend(_Candidate(start, end, t, 1.0) for t in targets)
        return found

    def _segmentation_factor(
        self, tokens: _Tokens, norm: str, start: int, end: int, target: _Target
    ) -> float:
        """1.0 when the match respects jieba's words; lower, or 0 (drop), when it cuts one."""
        cut = [tokens.word_at(start)] if start not in tokens.bounds else []
        if end not in tokens.bounds:
            cut.append(tokens.word_at(end - 1))
        if not cut:
            return 1.0
        if end - start == 1:
            return 0.0
        factor = 1.0
        for ws, we in dict.fromkeys(cut):
            kinds = self._alias_kinds.get(norm[ws:we])
            if kinds is not None:
                # A word inside a longer name of another kind is part of that name: "打印"
                # in "打印机" is the printer, not a failure; "检验" in "检验科" is a place.
                inside = ws <= start and end <= we and (ws, we) != (start, end)
                if (
                    inside
                    and target.kind not in kinds
                    and (target.kind == "symptoms" or "departments" in kinds)
                ):
                    return 0.0
                continue
            if end - start <= 2:
                return 0.0
            factor *= 0.6
        return factor

    def _mention(self, target: _Target, text: str, cand: _Candidate, confidence: float) -> Mention:
        entry = self._entries[(target.kind, target.id)]
        return Mention(
            target.kind,
            target.id,
            entry.zh,
            entry.en,
            (cand.start, cand.end),
            text[cand.start : cand.end],
            confidence,
        )

    @staticmethod
    def _prepare_tokenizer(tokenizer: Any) -> Any:
        try:
            import jieba
        except ImportError:  # linking still works, without the segmentation check
            return None
        jieba.setLogLevel(logging.WARNING)
        return tokenizer if tokenizer is not None else jieba.dt

    def warm_up(self) -> None:
        """Load jieba's dictionary and teach it the ontology's words (done once per tokenizer)."""
        if self._tokenizer is None:
            return
        added = _added_words.setdefault(id(self._tokenizer), set())
        words = [w for w in self.ontology.all_words() if w not in added]
        if words:
            self._tokenizer.initialize()
            for word in words:
                self._tokenizer.add_word(word)
            added.update(words)


class _Tokens:
    """jieba's segmentation of a normalized text: word boundaries and the word at a position."""

    __slots__ = ("bounds", "spans")

    def __init__(self, tokenizer: Any, norm: str) -> None:
        self.spans: list[tuple[int, int]] = []
        self.bounds: set[int] = {0}
        for _, start, end in tokenizer.tokenize(norm, HMM=False):
            self.spans.append((start, end))
            self.bounds.add(end)

    def word_at(self, pos: int) -> tuple[int, int]:
        lo, hi = 0, len(self.spans) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.spans[mid][1] <= pos:
                lo = mid + 1
            else:
                hi = mid
        return self.spans[lo]


def _lower_case_word(text: str, cand: _Candidate) -> bool:
    """An acronym that is also an English word, written in lower case among Latin words."""
    if not cand.target.capitals_only or text[cand.start : cand.end].isupper():
        return False
    before = text[cand.start - 1] if cand.start > 0 else ""
    after = text[cand.end] if cand.end < len(text) else ""
    return not (_CJK_CHAR.match(before) or _CJK_CHAR.match(after))


def _drop_symptoms_inside_names(candidates: list[_Candidate]) -> list[_Candidate]:
    """A symptom word inside a longer name of a system or a place is part of that name:
    "security" in "social security card" is an insurance card, not a security incident.
    (Chinese matches get the same rule from jieba's words, see _segmentation_factor.)"""
    names = [(c.start, c.end) for c in candidates if c.target.kind in ("systems", "departments")]
    if not names:
        return candidates
    return [
        c for c in candidates
        if c.target.kind != "symptoms"
        or not any(s <= c.start and c.end <= e and (s, e) != (c.start, c.end) for s, e in names)
    ]


def _blank_placeholders(norm: str) -> str:
    """Spaces over masking placeholders, so nothing links inside them; offsets unchanged."""
    if "[" not in norm:
        return norm
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), norm)


def _base_confidence(key: str, canonical: bool, typo: bool, ambiguous: bool) -> float:
    """Longer and canonical names are surer than short colloquial words and typos."""
    n = len(key)
    if canonical:
        confidence = 0.95
    elif has_cjk(key):
        confidence = {1: 0.5, 2: 0.7, 3: 0.8}.get(n, 0.85)
    elif " " in key:
        confidence = 0.9
    else:
        confidence = 0.65 if n <= 2 else 0.8 if n <= 5 else 0.85
    if typo:
        confidence *= 0.75
    if ambiguous:
        confidence *= 0.8
    return confidence


def _longest_matches(candidates: list[_Candidate]) -> list[_Candidate]:
    """Leftmost-longest non-overlapping matches; one span may denote several ids."""
    chosen: list[_Candidate] = []
    taken: list[tuple[int, int]] = []
    for cand in sorted(candidates, key=lambda c: (c.start - c.end, c.start, -c.factor)):
        span = (cand.start, cand.end)
        if any(s < cand.end and cand.start < e and (s, e) != span for s, e in taken):
            continue
        chosen.append(cand)
        taken.append(span)
    return chosen


def _units(gap: str) -> int:
    return sum(1 for u in _UNIT.findall(gap) if u not in _STOPWORDS)


def _negated(norm: str, start: int, end: int) -> bool:
    before = norm[max(0, start - _NEG_WINDOW) : start]
    after = norm[end : end + _POST_WINDOW]
    post_problem = _post_gap(after, _POST_PROBLEM)
    cue = None
    for m in _PRE_CUE.finditer(before):
        if _is_latin_word_hit(before, m.start(), m.end()):
            cue = m
    if cue is not None:
        gap = before[cue.end() :]
        # "是不是" asks a question: 是不是网络的问题 is not a denial.
        question = cue.group() == "不是" and cue.start() > 0 and before[cue.start() - 1] == "是"
        if not question and not _PRE_BREAKERS.search(gap):
            units = _units(gap)
            problem_follows = post_problem is not None and post_problem <= _POST_GAP
            if cue.group("strong"):
                if units <= _DIRECT_GAP or (units <= _PROBLEM_GAP and problem_follows):
                    return True
            elif units <= _DIRECT_GAP or (units <= _WEAK_GAP and problem_follows):
                return True
    fine = _post_gap(after, _POST_FINE)
    return fine is not None and fine <= 2


def _post_gap(after: str, pattern: re.Pattern[str]) -> int | None:
    """Units between a mention and the first `pattern` after it in the same clause."""
    for m in pattern.finditer(after):
        if not _is_latin_word_hit(after, m.start(), m.end()):
            continue
        if m.start() > 0 and after[m.start() - 1] in "不非异":  # 不正常 is not 正常
            return None
        gap = after[: m.start()]
        if _POST_BREAKERS.search(gap):
            return None
        return _units(gap)
    return None


def _is_latin_word_hit(text: str, start: int, end: int) -> bool:
    if _WORD_CHAR.match(text[start]) and start > 0 and _WORD_CHAR.match(text[start - 1]):
        return False
    return not (_WORD_CHAR.match(text[end - 1]) and end < len(text) and _WORD_CHAR.match(text[end]))


def _clause_around(norm: str, start: int, end: int, window: int = 12) -> str:
    before = norm[max(0, start - window) : start]
    after = norm[end : end + window]
    cut = [m.end() for m in _CLAUSE_PUNCT.finditer(before)]
    if cut:
        before = before[cut[-1] :]
    stop = _CLAUSE_PUNCT.search(after)
    if stop:
        after = after[: stop.start()]
    return before + norm[start:end] + after


def _drop_located_systems(found: dict[str, list[Mention]]) -> list[Mention]:
    """Systems named only as a place or inside a symptom yield to systems named outright.

    "ICU病房的PDA连不上": ICU is where the PDA is; "PACS存储快满了": the storage is the
    PACS's. Without another system, such mentions stay.
    """
    systems = found["systems"]
    department_spans = {m.span for m in found["departments"]}
    symptom_spans = [m.span for m in found["symptoms"]]

    def located(m: Mention) -> bool:
        s, e = m.span
        return m.span in department_spans or any(
            a <= s and e <= b and (a, b) != (s, e) for a, b in symptom_spans
        )

    outright = [m for m in systems if not located(m)]
    return outright if outright else systems


def _keep_best(best: dict[tuple[str, str], Mention], mention: Mention) -> None:
    key = (mention.kind, mention.id)
    current = best.get(key)
    if current is None or (mention.confidence, -mention.span[0]) > (
        current.confidence,
        -current.span[0],
    ):
        best[key] = mention


def expansion_terms(
    result: LinkResult,
    lang: str | None = None,
    *,
    ontology: Ontology | None = None,
    aliases_per_entry: int = 4,
) -> list[str]:
    """Canonical names and main aliases of the linked entities, to expand a search query.

    `lang="zh"` keeps Chinese words and upper-case abbreviations (PACS, HIS); `lang="en"`
    keeps the others; None keeps all. Typos are never used for expansion.
    """
    onto = ontology or result.ontology or load_ontology()
    seen: set[str] = set()
    words: list[str] = []
    for mention in result.mentions():
        entry: Entry | None = onto.get(mention.kind, mention.id)
        if entry is None:
            continue
        names = [f for f in entry.canonical_forms() if not re.search(r"[/（）()、,，]", f)]
        for word in (*names, *entry.aliases[:aliases_per_entry]):
            if lang == "zh" and not (has_cjk(word) or word.isupper()):
                continue
            if lang == "en" and has_cjk(word):
                continue
            key = normalize(word)
            if key not in seen:
                seen.add(key)
                words.append(word)
    return words
