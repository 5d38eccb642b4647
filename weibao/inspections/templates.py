"""Inspection templates: checklists per system family, read from data/inspections/*.yaml.

A template is data, not code: each item says what to check, how to read it, which
readings pass, warn or fail, how severe a failure is and which taxonomy system and
symptom it concerns (a failure opens a ticket pre-triaged with those). A bad file is
refused at load with the file and the item named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

READING_TYPES = ("number", "boolean", "text")
SEVERITIES = ("critical", "major", "minor")
# A failed item's ticket priority: an inspection finds things before they break, so even
# a critical finding is "core function degraded" (P2), not an outage (P1).
SEVERITY_PRIORITY = {"critical": "P2", "major": "P3", "minor": "P4"}
# A warn item is looked at again within this many days.
FOLLOW_UP_DAYS = {"critical": 7, "major": 14, "minor": 30}
MAX_TEXT_READING = 500


class TemplateError(ValueError):
    """A template file that cannot be used, naming the file and the item."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Numeric thresholds: `direction` says which way is worse."""

    direction: str  # "above" or "below"
    warn: float
    fail: float

    def judge(self, value: float) -> str:
        if self.direction == "above":
            return "fail" if value >= self.fail else "warn" if value >= self.warn else "pass"
        return "fail" if value <= self.fail else "warn" if value <= self.warn else "pass"


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    system: str
    symptom: str
    check: str
    method: str
    reading_type: str
    unit: str
    label: str
    thresholds: Mapping[str, str]
    severity: str
    limits: Limits | None = None

    @property
    def priority(self) -> str:
        return SEVERITY_PRIORITY[self.severity]

    def check_reading(self, value: object) -> str | None:
        """Why `value` is not a reading of this item, or None when it is (None = not read)."""
        if value is None:
            return None
        if self.reading_type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                return "must be a number"
            return None
        if self.reading_type == "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        if not isinstance(value, str):
            return "must be text"
        if len(value) > MAX_TEXT_READING:
            return f"must be at most {MAX_TEXT_READING} characters"
        return None

    def suggested(self, value: object) -> str | None:
        """The result the thresholds give for a numeric reading (the engineer decides)."""
        if self.limits is None or not isinstance(value, int | float) or isinstance(value, bool):
            return None
        return self.limits.judge(float(value))

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "system": self.system, "symptom": self.symptom, "check": self.check,
            "method": self.method,
            "reading": {"type": self.reading_type, "unit": self.unit, "label": self.label},
            "thresholds": dict(self.thresholds),
            "limits": None if self.limits is None else
            {"direction": self.limits.direction, "warn": self.limits.warn, "fail": self.limits.fail},
            "severity": self.severity, "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    name: str
    name_en: str
    system: str
    items: tuple[Item, ...]
    _by_id: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def item(self, item_id: str) -> Item | None:
        return self._by_id.get(item_id)

    def display_name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "name_en": self.name_en, "system": self.system,
                "items": [i.as_dict() for i in self.items]}


def _text(raw: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise TemplateError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _item(raw: object, where: str) -> Item:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: an item must be a mapping")
    item_id = _text(raw, "id", where)
    where = f"{where} item {item_id}"
    system, symptom = raw.get("system"), raw.get("symptom")
    if system not in SYSTEMS:
        raise TemplateError(f"{where}: system {system!r} is not a taxonomy id")
    if symptom not in SYMPTOMS:
        raise TemplateError(f"{where}: symptom {symptom!r} is not a taxonomy id")
    reading = raw.get("reading")
    if not isinstance(reading, dict) or reading.get("type") not in READING_TYPES:
        raise TemplateError(f"{where}: reading.type must be one of {', '.join(READING_TYPES)}")
    thresholds = raw.get("thresholds")
    if not isinstance(thresholds, dict) or any(
        not isinstance(thresholds.get(k), str | int | float) for k in ("pass", "warn", "fail")
    ):
        raise TemplateError(f"{where}: thresholds needs pass, warn and fail")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise TemplateError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    limits = None
    if "limits" in raw:
        lim = raw["limits"]
        if reading["type"] != "number":
            raise TemplateError(f"{where}: limits need a number reading")
        if (not isinstance(lim, dict) or lim.get("direction") not in ("above", "below")
                or any(isinstance(lim.get(k), bool) or not isinstance(lim.get(k), int | float)
                       for k in ("warn", "fail"))):
            raise TemplateError(f"{where}: limits need direction above|below and numbers warn, fail")
        limits = Limits(lim["direction"], float(lim["warn"]), float(lim["fail"]))
        worse = limits.fail >= limits.warn if limits.direction == "above" else limits.fail <= limits.warn
        if not worse:
            raise TemplateError(f"{where}: the fail limit must be worse than the warn limit")
    return Item(
        id=item_id, system=str(system), symptom=str(symptom), check=_text(raw, "check", where),
        method=_text(raw, "method", where), reading_type=str(reading["type"]),
        unit=str(reading.get("unit", "")), label=str(reading.get("label", "")),
        thresholds={k: str(thresholds[k]) for k in ("pass", "warn", "fail")},
        severity=str(severity), limits=limits,
    )


def parse_template(raw: object, where: str) -> Template:
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: a template must be a mapping")
    template_id = _text(raw, "id", where)
    system = raw.get("system")
    if system not in SYSTEMS:
        raise TemplateError(f"{where}: system {system!r} is not a taxonomy id")
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise TemplateError(f"{where}: items must be a non-empty list")
    items = tuple(_item(i, where) for i in items_raw)
    by_id = {i.id: i for i in items}
    if len(by_id) != len(items):
        raise TemplateError(f"{where}: item ids repeat")
    return Template(template_id, _text(raw, "name", where), _text(raw, "name_en", where),
                    str(system), items, by_id)


@dataclass(frozen=True, slots=True)
class TemplateSet:
    templates: Mapping[str, Template]

    def get(self, template_id: str) -> Template | None:
        return self.templates.get(template_id)

    def ids(self) -> list[str]:
        return sorted(self.templates)

    def all(self) -> list[Template]:
        return [self.templates[k] for k in self.ids()]


def load_templates(folder: Path) -> TemplateSet:
    """Every *.yaml template in `folder`; template and item ids are unique across files."""
    templates: dict[str, Template] = {}
    item_owner: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise TemplateError(f"{path.name}: not valid YAML ({exc})") from exc
        template = parse_template(raw, path.name)
        if template.id in templates:
            raise TemplateError(f"{path.name}: template id {template.id} is used twice")
        for item in template.items:
            if item.id in item_owner:
                raise TemplateError(f"{path.name}: item id {item.id} is also in {item_owner[item.id]}")
            item_owner[item.id] = path.name
        templates[template.id] = template
    return TemplateSet(templates)


@lru_cache(maxsize=4)
def cached_templates(folder: Path) -> TemplateSet:
    return load_templates(folder)
