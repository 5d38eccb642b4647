"""The understanding in the reader's words: why a priority, what to ask, how sure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

Translate = Callable[[str], str]


def priority_reasons(reasons: Iterable[Mapping[str, object]], t: Translate) -> list[str]:
    """One line per reason of weibao.routing.priority, in the UI language; codes this
    catalogue does not know are left out rather than shown as ids."""
    lines = []
    for reason in reasons:
        key = f"understanding_reason_{reason.get('code', '')}"
        text = t(key)
        if text == key:
            continue
        lines.append(text.replace("{matched}", str(reason.get("matched") or "")))
    return lines


def clarifying_question(triage: Mapping[str, object], t: Translate) -> str:
    """The question to ask the reporter of a vague ticket (or of one whose reach the text
    does not tell), or ""."""
    code = triage.get("clarify")
    return t(f"understanding_clarify_{code}") if code in ("which_system", "which_symptom", "which_impact") else ""


def confidence_note(triage: Mapping[str, object], t: Translate) -> str:
    """"Unknown system" / "low confidence" for the ticket page, or ""."""
    if triage.get("system") is None and triage.get("clarify") == "which_system":
        return f"{t('understanding_unknown_system')} · {t('understanding_low_confidence')}"
    return t("understanding_low_confidence") if triage.get("low_confidence") else ""
