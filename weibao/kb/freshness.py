"""Why a published article may be out of date, from facts other domains hold.

The knowledge base sits below the ticket desk and the estate (tests/test_layering.py), so
it never reads their tables: a caller above both (weibao.service.article_freshness)
gathers the facts — resolved tickets and the versions installations run — and the pure
functions here judge each article against them.

Affected versions: an article may name the versions of its systems a problem affects,
`affected_versions: {his: ["5.2", "5.3"]}` in its front matter (system id → version
strings). A version matches an installation's version when equal or a dotted prefix of
it ("5.2" covers "5.2.3", not "5.21").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from weibao.graph.taxonomy import SYSTEMS

# Resolutions of the article's system and symptom since its last review that used neither
# it nor its fixes: this many make it "contradicted".
CONTRADICTION_MIN = 2
# The most recent of them shown on the stale list.
CONTRADICTION_SHOWN = 3
MAX_VERSIONS_PER_SYSTEM = 20
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$")


class AffectedVersionsError(ValueError):
    """A bad affected_versions value; `field` names where."""

    def __init__(self, message: str, field: str = "affected_versions") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def check_affected_versions(value: object, systems: Collection[str]) -> dict[str, list[str]]:
    """`{system id: [version, …]}` cleaned (trimmed, deduplicated, empty lists dropped);
    AffectedVersionsError naming an unknown system id, a system the article is not about,
    or a malformed version."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, Mapping):
        raise AffectedVersionsError("affected_versions: must map system ids to lists of versions")
    out: dict[str, list[str]] = {}
    for system, versions in value.items():
        if not isinstance(system, str) or system not in SYSTEMS:
            raise AffectedVersionsError(f"affected_versions: unknown id {system!r} (not a system)")
        if system not in systems:
            raise AffectedVersionsError(
                f"affected_versions: system id {system!r} is not one of the article's systems")
        if isinstance(versions, str | int | float) and not isinstance(versions, bool):
            versions = [versions]
        if not isinstance(versions, list):
            raise AffectedVersionsError(f"affected_versions.{system}: must be a list of versions")
        if len(versions) > MAX_VERSIONS_PER_SYSTEM:
            raise AffectedVersionsError(
                f"affected_versions.{system}: at most {MAX_VERSIONS_PER_SYSTEM} versions")
        cleaned: list[str] = []
        for version in versions:
            # YAML reads 5.2 as a number: keep what the author wrote.
            text = str(version).strip() if isinstance(version, str | int | float) and not isinstance(version, bool) else ""
            if not _VERSION.match(text):
                raise AffectedVersionsError(
                    f"affected_versions.{system}: {version!r} is not a version such as 5.2 or 5.2.1")
            if text not in cleaned:
                cleaned.append(text)
        if cleaned:
            out[system] = cleaned
    return out


@dataclass(frozen=True, slots=True)
class ResolutionFact:
    """A resolved ticket as freshness reads it: what it was about and what fixed it."""

    code: str
    system: str
    symptom: str
    resolved_at: datetime
    article_ids: tuple[str, ...] = ()
    fix_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class FreshnessFacts:
    """What the stale list judges articles against, gathered once per listing."""

    # Newest first.
    resolutions: Sequence[ResolutionFact] = ()
    # system id → the versions installations run; None: the estate is not known (no
    # installation recorded at all), so no article is judged on its versions.
    running: Mapping[str, Collection[str]] | None = None
    # Gathered since this time (the oldest last review among the articles judged).
    since: datetime | None = None
    notes: list[str] = field(default_factory=list)


def contradicting(
    article_id: str, systems: Collection[str], symptoms: Collection[str], fix_ids: Collection[str],
    reviewed: datetime, resolutions: Sequence[ResolutionFact],
) -> list[ResolutionFact]:
    """Resolutions after `reviewed` of one of the article's systems and symptoms that
    used neither the article nor any of its fixes, newest first."""
    fixes = set(fix_ids)
    return [
        r for r in resolutions
        if r.resolved_at > reviewed and r.system in systems and r.symptom in symptoms
        and article_id not in r.article_ids and not fixes.intersection(r.fix_ids)
    ]


def _runs(installed: str, named: str) -> bool:
    return installed == named or installed.startswith(named + ".")


def versions_retired(
    affected: Mapping[str, Sequence[str]], running: Mapping[str, Collection[str]] | None
) -> bool:
    """True when the article names affected versions and no installation runs any of them."""
    if not affected or running is None:
        return False
    return not any(
        _runs(installed, named)
        for system, versions in affected.items()
        for named in versions
        for installed in running.get(system, ())
    )
