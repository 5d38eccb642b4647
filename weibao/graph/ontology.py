"""The domain ontology: taxonomy entries with the words people really use for them.

`data/ontology/{systems,symptoms,departments,terms}.yaml` each hold a list of entries
(`id`, `zh`, `en`, `aliases`, optional `typos`, `tags`, `implies`). Loading validates
them against the taxonomy and reports every problem with its file and line, because
these files are edited by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS, Term

KINDS: tuple[str, ...] = ("systems", "symptoms", "departments", "terms")
TAXONOMY: dict[str, dict[str, Term]] = {
    "systems": SYSTEMS,
    "symptoms": SYMPTOMS,
    "departments": DEPARTMENTS,
}
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "ontology"

_KNOWN_FIELDS = {
    "id",
    "zh",
    "en",
    "aliases",
    "typos",
    "fallback_aliases",
    "tags",
    "implies",
    "refines",
}
_LIST_FIELDS = ("aliases", "typos", "fallback_aliases", "tags", "implies")
_NAME_SPLIT = re.compile(r"\s*[/（）()、，,;；]\s*")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Characters NFKC leaves alone but people use interchangeably with ASCII ones.
_EXTRA_FOLD = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "－": "-"}


class OntologyError(ValueError):
    """A malformed ontology file; the message names the file and the line."""


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _EXTRA_FOLD:
        return _EXTRA_FOLD[ch]
    folded = unicodedata.normalize("NFKC", ch).lower()
    # Keep the text the same length so that spans found in it are spans of the input.
    return folded if len(folded) == 1 else ch.lower()


def normalize(text: str) -> str:
    """NFKC, lower-case, full-width → half-width; one output character per input one."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@dataclass(frozen=True, slots=True)
class Entry:
    """One ontology entry: a taxonomy id or a technical term, with its surface words."""

    kind: str
    id: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    typos: tuple[str, ...] = ()
    fallback_aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    refines: tuple[Refinement, ...] = ()
    source: str = ""
    line: int = 0

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def canonical_forms(self) -> tuple[str, ...]:
        """The names and their parts: '卡顿/响应慢' gives '卡顿/响应慢', '卡顿', '响应慢'."""
        forms: list[str] = [self.zh, self.en]
        for name in (self.zh, self.en):
            forms.extend(p for p in _NAME_SPLIT.split(name) if p.strip())
        return tuple(dict.fromkeys(f.strip() for f in forms if f.strip()))

    def surface_forms(self) -> tuple[str, ...]:
        """Every written form the linker should recognise, canonical ones first."""
        return tuple(
            dict.fromkeys((self.zh, self.en, *self.aliases, *self.typos, *self.fallback_aliases))
        )


@dataclass(frozen=True, slots=True)
class Refinement:
    """A generic symptom that means this one near certain words: 打不开 near 片子 → image_load.

    `from_id`: the generic symptom; `aliases`: only when matched through these words
    (empty: any); `near`: words that, in the same clause, make the reading specific.
    """

    from_id: str
    near: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AliasTarget:
    kind: str
    id: str
    surface: str
    canonical: bool
    typo: bool
    fallback: bool = False


@dataclass(slots=True)
class Ontology:
    """Entries per kind, keyed by id, plus the lookup tables the linker and search use."""

    systems: dict[str, Entry] = field(default_factory=dict)
    symptoms: dict[str, Entry] = field(default_factory=dict)
    departments: dict[str, Entry] = field(default_factory=dict)
    terms: dict[str, Entry] = field(default_factory=dict)
    directory: Path | None = None

    def entries(self, kind: str) -> dict[str, Entry]:
        if kind not in KINDS:
            raise KeyError(f"unknown ontology kind {kind!r}; expected one of {KINDS}")
        return getattr(self, kind)

    def get(self, kind: str, entry_id: str) -> Entry | None:
        return self.entries(kind).get(entry_id)

    def __iter__(self) -> Iterator[Entry]:
        for kind in KINDS:
            yield from self.entries(kind).values()

    def alias_targets(self) -> dict[str, list[AliasTarget]]:
        """normalized surface form → every entry that it may denote, with how it is written."""
        table: dict[str, list[AliasTarget]] = {}
        for entry in self:
            canonical = {normalize(f) for f in entry.canonical_forms()}
            typos = {normalize(t) for t in entry.typos}
            fallbacks = {normalize(t) for t in entry.fallback_aliases}
            for surface in entry.surface_forms():
                key = normalize(surface).strip()
                if not key:
                    continue
                targets = table.setdefault(key, [])
                if any(t.kind == entry.kind and t.id == entry.id for t in targets):
                    continue
                targets.append(
                    AliasTarget(
                        entry.kind,
                        entry.id,
                        surface,
                        canonical=key in canonical,
                        typo=key in typos and key not in canonical,
                        fallback=key in fallbacks,
                    )
                )
        return table

    def alias_table(self) -> dict[str, list[tuple[str, str]]]:
        """normalized alias → list of (kind, id)."""
        return {
            key: [(t.kind, t.id) for t in targets] for key, targets in self.alias_targets().items()
        }

    def all_words(self) -> list[str]:
        """Chinese names and aliases without spaces, for a jieba user dictionary."""
        words: dict[str, None] = {}
        for entry in self:
            for surface in (
                *entry.canonical_forms(),
                *entry.aliases,
                *entry.typos,
                *entry.fallback_aliases,
            ):
                if has_cjk(surface) and not re.search(r"\s", surface) and len(surface) > 1:
                    words.setdefault(surface, None)
        return list(words)


def load_ontology(directory: Path | str | None = None) -> Ontology:
    """Load and validate the four ontology files of `directory` (default: data/ontology)."""
    root = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    ontology = Ontology(directory=root)
    for kind in KINDS:
        path = root / f"{kind}.yaml"
        if not path.is_file():
            raise OntologyError(f"{path}: missing ontology file for {kind}")
        ontology.entries(kind).update(_load_file(path, kind))
    _check_implies(ontology)
    return ontology


def _load_file(path: Path, kind: str) -> dict[str, Entry]:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise OntologyError(f"{path}:{line}: YAML syntax error: {problem}") from exc
    if node is None:
        raise OntologyError(f"{path}:1: empty file, expected a list of entries")
    if not isinstance(node, yaml.SequenceNode):
        raise OntologyError(f"{path}:{_line(node)}: expected a list of entries")

    taxonomy = TAXONOMY.get(kind)
    entries: dict[str, Entry] = {}
    for item in node.value:
        entry = _entry_from_node(path, kind, item)
        where = f"{path}:{entry.line}"
        if entry.id in entries:
            first = entries[entry.id].line
            raise OntologyError(
                f"{where}: duplicate id {entry.id!r} (first defined on line {first})"
            )
        if taxonomy is not None and entry.id not in taxonomy:
            known = ", ".join(sorted(taxonomy))
            raise OntologyError(f"{where}: unknown {kind} id {entry.id!r}; known ids: {known}")
        entries[entry.id] = entry
    if taxonomy is not None:
        missing = sorted(set(taxonomy) - set(entries))
        if missing:
            line = _line(node.end_mark)
            raise OntologyError(f"{path}:{line}: missing {kind} ids: {', '.join(missing)}")
    return entries


def _entry_from_node(path: Path, kind: str, node: yaml.Node) -> Entry:
    line = _line(node)
    if not isinstance(node, yaml.MappingNode):
        raise OntologyError(f"{path}:{line}: expected a mapping with id, zh, en, aliases")
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in _KNOWN_FIELDS:
            raise OntologyError(f"{path}:{_line(key_node)}: unknown field {key!r}")
        if key in fields:
            raise OntologyError(f"{path}:{_line(key_node)}: field {key!r} given twice")
        fields[key] = value_node

    values: dict[str, str] = {}
    for name in ("id", "zh", "en"):
        value_node = fields.get(name)
        if value_node is None:
            raise OntologyError(f"{path}:{line}: entry is missing {name!r}")
        if not isinstance(value_node, yaml.ScalarNode) or not str(value_node.value).strip():
            raise OntologyError(f"{path}:{_line(value_node)}: {name!r} must be a non-empty string")
        values[name] = str(value_node.value).strip()

    lists: dict[str, tuple[str, ...]] = {}
    for name in _LIST_FIELDS:
        value_node = fields.get(name)
        if value_node is None:
            lists[name] = ()
            continue
        if not isinstance(value_node, yaml.SequenceNode):
            raise OntologyError(
                f"{path}:{_line(value_node)}: {name!r} of {values['id']!r} must be a list"
            )
        items: list[str] = []
        for item in value_node.value:
            # Plain numbers (120, 404) are fine as words; nested lists and mappings are not.
            if not isinstance(item, yaml.ScalarNode) or item.tag == "tag:yaml.org,2002:null":
                raise OntologyError(
                    f"{path}:{_line(item)}: {name!r} of {values['id']!r} must hold strings"
                )
            word = str(item.value).strip()
            if not word:
                raise OntologyError(f"{path}:{_line(item)}: empty word in {name!r}")
            items.append(word)
        lists[name] = tuple(dict.fromkeys(items))
    if lists["implies"] and kind != "departments":
        raise OntologyError(f"{path}:{_line(fields['implies'])}: 'implies' is for departments")
    refines = _refinements(path, kind, fields.get("refines"))
    return Entry(
        kind=kind,
        id=values["id"],
        zh=values["zh"],
        en=values["en"],
        aliases=lists["aliases"],
        typos=lists["typos"],
        fallback_aliases=lists["fallback_aliases"],
        tags=lists["tags"],
        implies=lists["implies"],
        refines=refines,
        source=str(path),
        line=line,
    )


def _refinements(path: Path, kind: str, node: yaml.Node | None) -> tuple[Refinement, ...]:
    if node is None:
        return ()
    if kind != "symptoms" or not isinstance(node, yaml.SequenceNode):
        raise OntologyError(f"{path}:{_line(node)}: 'refines' must be a list, on symptoms only")
    found = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            raise OntologyError(f"{path}:{_line(item)}: a refinement is a mapping: from, near")
        values: dict[str, yaml.Node] = {k.value: v for k, v in item.value}
        unknown = set(values) - {"from", "near", "aliases"}
        from_node = values.get("from")
        if unknown or from_node is None or "near" not in values:
            raise OntologyError(f"{path}:{_line(item)}: a refinement needs from and near only")
        if not isinstance(from_node, yaml.ScalarNode) or from_node.value not in SYMPTOMS:
            raise OntologyError(f"{path}:{_line(from_node)}: unknown symptom id in 'from'")
        words: dict[str, tuple[str, ...]] = {}
        for name in ("near", "aliases"):
            list_node = values.get(name)
            if list_node is None:
                words[name] = ()
                continue
            if not isinstance(list_node, yaml.SequenceNode) or not all(
                isinstance(w, yaml.ScalarNode) and str(w.value).strip() for w in list_node.value
            ):
                raise OntologyError(f"{path}:{_line(list_node)}: {name!r} must be a list of words")
            words[name] = tuple(str(w.value).strip() for w in list_node.value)
        found.append(Refinement(from_node.value, words["near"], words["aliases"]))
    return tuple(found)


def _check_implies(ontology: Ontology) -> None:
    for entry in ontology.departments.values():
        for system_id in entry.implies:
            if system_id not in ontology.systems:
                raise OntologyError(
                    f"{entry.source}:{entry.line}: department {entry.id!r} implies unknown "
                    f"system {system_id!r}"
                )


def _line(node_or_mark: yaml.Node | yaml.Mark) -> int:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return int(getattr(mark, "line", 0)) + 1
