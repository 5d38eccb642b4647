"""The audit log for people: times in China time with seconds, actions, roles and details
in words, hospitals and engineers by name. Request paths, addresses, permission names and
values without a word stay as they are, marked `translate="no"` in the page."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from weibao.core.audit import AuditEvent
from weibao.graph.taxonomy import SYSTEMS
from weibao.routing.calendars import zone
from weibao.routing.models import STATUS_NAMES

Translate = Callable[[str], str]
# The vendor's log reads in the vendor's time (the filter's times are read the same way).
ZONE = "Asia/Shanghai"
# Detail keys whose values are engineer ids / hospital ids / statuses.
ENGINEER_KEYS = ("engineer", "engineer_id", "to_engineer", "from_engineer")
HOSPITAL_KEYS = ("hospital", "hospital_id")


@dataclass(frozen=True, slots=True)
class Detail:
    label: str
    value: str
    raw: bool  # shown as typed (an id, a path): not a word to translate
    label_raw: bool = False


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: str
    actor: str
    role: str
    action: str
    target: Detail | None
    hospital: str
    ip: str
    details: list[Detail]


def word(t: Translate, key: str) -> str | None:
    """The message for `key`, or None when the catalogue has none."""
    text = t(key)
    return None if text == key else text


def action_name(action: str, t: Translate) -> str:
    return word(t, "audit_act_" + action.replace(".", "_")) or action


def at_local(value: datetime, lang: str) -> str:
    local = value.astimezone(zone(ZONE))
    day = f"{local.year}年{local.month}月{local.day}日" if lang == "zh" else local.strftime("%d %b %Y").lstrip("0")
    return f"{day} {local:%H:%M:%S}"


def _target(target: str, t: Translate, engineers: Mapping[str, str], hospitals: Mapping[str, str]) -> Detail | None:
    if not target:
        return None
    kind, _, rest = target.partition(":")
    label = word(t, f"audit_target_{kind}") if rest else None
    if label is None:  # a request ("GET /path") or a target of no known kind
        # A hospital or engineer named in the path reads by name, marked as put in: 〈name〉.
        known = {**hospitals, **engineers}
        shown = "/".join(f"〈{known[p]}〉" if p in known else p for p in target.split("/"))
        return Detail("", shown, True)
    names = engineers if kind == "engineer" else hospitals if kind == "hospital" else {}
    return Detail(label, names.get(rest, rest), rest not in names)


def _value(key: str, value: object, t: Translate, lang: str,
           engineers: Mapping[str, str], hospitals: Mapping[str, str]) -> tuple[str, bool]:
    if isinstance(value, bool):
        return t("audit_yes" if value else "audit_no"), False
    if value is None:
        return "—", False
    text = str(value)
    if key in ENGINEER_KEYS or (key in ("from", "to") and text in engineers):
        return engineers.get(text, text), text not in engineers
    if key in HOSPITAL_KEYS or text in hospitals:
        return hospitals.get(text, text), text not in hospitals
    if text in STATUS_NAMES and key in ("from", "to", "status"):
        return STATUS_NAMES[text][0 if lang == "zh" else 1], False
    if key == "role":
        return word(t, f"role_{text}") or text, word(t, f"role_{text}") is None
    if key == "system" and text in SYSTEMS:
        return SYSTEMS[text].name(lang), False
    if key == "tier":
        return word(t, f"desk_tier_{text}") or text, word(t, f"desk_tier_{text}") is None
    if isinstance(value, int | float):
        return text, False
    if key.endswith("_at"):
        try:
            return at_local(datetime.fromisoformat(text), lang), False
        except ValueError:
            pass
    known = word(t, f"audit_value_{text}")
    if known:
        return known, False
    # Free text a person wrote (a reason, a note) reads as it is; identifiers stay raw.
    typed = text.isascii() and " " not in text.strip()
    return text, typed


def rows(events: Iterable[AuditEvent], t: Translate, lang: str,
         engineers: Mapping[str, str], hospitals: Mapping[str, str]) -> list[AuditRow]:
    out: list[AuditRow] = []
    for e in events:
        details: list[Detail] = []
        for key, value in (e.detail or {}).items():
            if key == "event":  # the action already says it
                continue
            shown, raw = _value(key, value, t, lang, engineers, hospitals)
            label = word(t, f"audit_key_{key}")
            details.append(Detail(label or key, shown, raw, label is None))
        out.append(AuditRow(
            at=at_local(e.at, lang), actor=e.actor_name,
            role=(word(t, f"role_{e.actor_role}") or e.actor_role) if e.actor_role else "",
            action=action_name(e.action, t),
            target=_target(e.target or "", t, engineers, hospitals),
            hospital=hospitals.get(e.hospital_id or "", e.hospital_id or ""), ip=e.ip, details=details,
        ))
    return out
