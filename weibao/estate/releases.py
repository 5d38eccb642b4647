"""The release catalogue: versions with notes, the known issues each fixes (linked to
knowledge-base articles), security patches, compliance tags and end of support. Answers
which hospitals run a version affected by a known issue, and the upgrade backlog: who lags
behind a security patch or a mandatory version, and for how long."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from weibao.core.db import session_scope
from weibao.estate.common import Actor, Clock, default_clock, version_key
from weibao.estate.models import Installation, KnownIssue, Release
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.models import Article
from weibao.routing.errors import Conflict, Forbidden, Invalid

MAX_NOTES = 20_000


@dataclass(slots=True)
class KnownIssueData:
    article_id: str
    symptoms: list[str] = field(default_factory=list)
    # Empty: every version before the fixing release. "5.3.*" matches a whole line.
    affected_versions: list[str] = field(default_factory=list)
    fix_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ReleaseData:
    system: str
    version: str
    released_on: date
    notes: str = ""
    security: bool = False
    mandatory: bool = False
    compliance_tags: list[str] = field(default_factory=list)
    end_of_support: date | None = None
    known_issues: list[KnownIssueData] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BacklogItem:
    hospital_id: str
    system: str
    installed_version: str
    target_version: str
    reason: str  # "security", "mandatory" or "end_of_support"
    since: date
    days_behind: int
    compliance_tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AffectedInstallation:
    hospital_id: str
    system: str
    environment: str
    version: str
    fixed_in: str


def is_affected(installed: str, issue: KnownIssue, fixed_in: str) -> bool:
    """Whether a hospital running `installed` has the known issue."""
    if issue.affected_versions:
        for pattern in issue.affected_versions:
            if pattern.endswith(("*", "x")):
                if installed.startswith(pattern[:-1]):
                    return True
            elif version_key(pattern) == version_key(installed):
                return True
        return False
    return version_key(installed) < version_key(fixed_in)


class Releases:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = default_clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def create(self, actor: Actor, data: ReleaseData) -> tuple[Release, list[KnownIssue]]:
        if actor.hospital_bound:
            raise Forbidden("only the vendor's staff publish releases")
        if data.system not in SYSTEMS:
            raise Invalid(f"system must be one of {', '.join(SYSTEMS)}", "system")
        if not version_key(data.version):
            raise Invalid("version must contain a number, e.g. 5.3.2", "version")
        if len(data.notes) > MAX_NOTES:
            raise Invalid(f"notes must be at most {MAX_NOTES} characters", "notes")
        if data.end_of_support is not None and data.end_of_support < data.released_on:
            raise Invalid("end_of_support must not be before released_on", "end_of_support")
        for issue in data.known_issues:
            bad = [s for s in issue.symptoms if s not in SYMPTOMS]
            if bad:
                raise Invalid(f"unknown symptom ids: {', '.join(bad)}", "known_issues")
        with session_scope(self.sessions) as session:
            articles = {i.article_id for i in data.known_issues}
            found = set(session.scalars(select(Article.id).where(Article.id.in_(articles)))) if articles else set()
            missing = sorted(articles - found)
            if missing:
                raise Invalid(f"no article {', '.join(missing)}", "known_issues")
            release = Release(
                system=data.system, version=data.version.strip(), released_on=data.released_on,
                notes=data.notes, security=data.security, mandatory=data.mandatory,
                compliance_tags=sorted(set(data.compliance_tags)), end_of_support=data.end_of_support,
                created_at=self.clock(),
            )
            session.add(release)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"{data.system} {data.version} is already in the catalogue", "version") from exc
            issues = [
                KnownIssue(release_id=release.id, article_id=i.article_id, system=data.system,
                           symptoms=list(i.symptoms), affected_versions=list(i.affected_versions),
                           fix_ids=list(i.fix_ids))
                for i in data.known_issues
            ]
            session.add_all(issues)
            session.flush()
            session.expunge_all()
            return release, issues

    def get_all(self, system: str | None = None) -> list[tuple[Release, list[KnownIssue]]]:
        """Releases newest first per system, each with the known issues it fixes."""
        with session_scope(self.sessions) as session:
            query = select(Release)
            if system:
                query = query.where(Release.system == system)
            releases = list(session.scalars(query))
            issues: dict[int, list[KnownIssue]] = {r.id: [] for r in releases}
            for issue in session.scalars(select(KnownIssue).order_by(KnownIssue.id)):
                issues.setdefault(issue.release_id, []).append(issue)
            session.expunge_all()
        releases.sort(key=lambda r: (r.system, tuple(-n for n in version_key(r.version))))
        return [(r, issues.get(r.id, [])) for r in releases]

    # ---- questions -------------------------------------------------------------------
    @staticmethod
    def _installations(session: Session, actor: Actor, hospital_id: str | None) -> list[Installation]:
        query = select(Installation).where(Installation.environment == "production")
        if actor.hospital_bound:
            query = query.where(Installation.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(Installation.hospital_id == hospital_id)
        return list(session.scalars(query.order_by(Installation.hospital_id, Installation.system)))

    def backlog(self, actor: Actor, hospital_id: str | None = None) -> list[BacklogItem]:
        """Production installations behind a security or mandatory release, or on a version
        past its end of support; most days behind first."""
        today = self.clock().date()
        query = select(Installation.hospital_id, Installation.system, Installation.version).where(
            Installation.environment == "production")
        if actor.hospital_bound:
            query = query.where(Installation.hospital_id == (actor.hospital_id or "\0"))
        if hospital_id:
            query = query.where(Installation.hospital_id == hospital_id)
        with session_scope(self.sessions) as session:
            releases = list(session.scalars(select(Release)))
            # Plain columns: the installations' masked JSON (hosts, modules) is not needed here.
            installations = session.execute(query.order_by(Installation.hospital_id, Installation.system)).all()
            session.expunge_all()
        # Each release's version parsed once, not once per installation.
        by_system: dict[str, list[tuple[tuple[int, ...], Release]]] = {}
        for release in releases:
            by_system.setdefault(release.system, []).append((version_key(release.version), release))
        items = []
        for hospital, system, version in installations:
            installed = version_key(version)
            newer = [(key, r) for key, r in by_system.get(system, []) if key > installed]
            for reason in ("security", "mandatory"):
                needed = [(key, r) for key, r in newer if getattr(r, reason)]
                if not needed:
                    continue
                # Behind since the oldest release it lacks; the target is the newest one.
                oldest = min(r.released_on for _, r in needed)
                target = max(needed, key=lambda pair: pair[0])[1]
                tags = sorted({t for _, r in needed for t in r.compliance_tags or []})
                items.append(BacklogItem(hospital, system, version, target.version, reason, oldest,
                                         max(0, (today - oldest).days), tuple(tags)))
            current = next((r for key, r in by_system.get(system, []) if key == installed), None)
            if current is not None and current.end_of_support and current.end_of_support < today:
                latest = max(by_system[system], key=lambda pair: pair[0])[1]
                items.append(BacklogItem(hospital, system, version, latest.version, "end_of_support",
                                         current.end_of_support, (today - current.end_of_support).days))
        items.sort(key=lambda i: (-i.days_behind, i.hospital_id, i.system, i.reason))
        return items

    def affected(self, actor: Actor, article_id: str) -> list[AffectedInstallation]:
        """Installations running a version affected by the known issue of this article."""
        with session_scope(self.sessions) as session:
            rows = list(session.execute(
                select(KnownIssue, Release.version).join(Release, Release.id == KnownIssue.release_id)
                .where(KnownIssue.article_id == article_id)))
            installations = self._installations(session, actor, None)
            session.expunge_all()
        found = []
        for issue, fixed_in in rows:
            for inst in installations:
                if inst.system == issue.system and is_affected(inst.version, issue, fixed_in):
                    found.append(AffectedInstallation(inst.hospital_id, inst.system, inst.environment,
                                                      inst.version, fixed_in))
        return found

    @staticmethod
    def known_issues_at(
        session: Session, hospital_id: str, systems: Iterable[str]
    ) -> list[tuple[KnownIssue, str, str]]:
        """(issue, fixed_in, installed) for each known issue the hospital's installed
        versions of these systems have."""
        wanted = [s for s in systems if s]
        if not wanted:
            return []
        installed = {
            system: version for system, version in session.execute(
                select(Installation.system, Installation.version).where(
                    Installation.hospital_id == hospital_id, Installation.system.in_(wanted),
                    Installation.environment == "production"))
        }
        if not installed:
            return []
        found = []
        for issue, fixed_in in session.execute(
            select(KnownIssue, Release.version).join(Release, Release.id == KnownIssue.release_id)
            .where(KnownIssue.system.in_(list(installed)))
        ):
            if is_affected(installed[issue.system], issue, fixed_in):
                found.append((issue, fixed_in, installed[issue.system]))
        return found


def behind_days(items: list[BacklogItem]) -> dict[str, int]:
    """Per hospital: the most days it is behind on anything."""
    worst: dict[str, int] = {}
    for item in items:
        worst[item.hospital_id] = max(worst.get(item.hospital_id, 0), item.days_behind)
    return worst
