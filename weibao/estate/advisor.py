"""The estate's advice to triage: a known issue of the hospital's installed version that
matches the ticket's system and symptom puts its article first ("已知问题，v5.3.2 已修复"),
and a recent upgrade of the system is a factor shown to the engineer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.estate.installations import RECENT_UPGRADE
from weibao.estate.models import Upgrade
from weibao.estate.releases import Releases
from weibao.kb.models import Article
from weibao.routing.advice import Advice
from weibao.routing.triage import TriageResult


def _bare(version: str) -> str:
    return version[1:] if version[:1] in ("v", "V") else version


class VersionAdvisor:
    """Registered on the ticket desk by the wiring (weibao.bootstrap)."""

    def advise(self, session: Session, hospital_id: str, triage: TriageResult, at: datetime) -> Advice:
        advice = Advice()
        if not triage.system:
            return advice
        matching = [
            (issue, fixed_in, installed)
            for issue, fixed_in, installed in Releases.known_issues_at(session, hospital_id, [triage.system])
            if not issue.symptoms or triage.symptom in issue.symptoms
        ]
        rows = session.execute(
            select(Article.id, Article.title, Article.audience)
            .where(Article.id.in_([i.article_id for i, _, _ in matching]))
        ).tuples().all() if matching else []
        titles = {article_id: title for article_id, title, _ in rows}
        audiences = {article_id: audience for article_id, _, audience in rows}
        for issue, fixed_in, installed in matching:
            if issue.article_id not in titles:
                continue  # an article withdrawn since the release was listed
            note = f"已知问题，v{_bare(fixed_in)} 已修复"
            advice.first_articles.append({
                "id": issue.article_id, "title": titles[issue.article_id],
                "url": f"/articles/{issue.article_id}", "audience": audiences[issue.article_id], "note": note,
                "note_en": f"Known issue, fixed in v{_bare(fixed_in)}",
            })
            advice.evidence.append({
                "source": "known_issue", "field": "article", "value": issue.article_id,
                "title": titles[issue.article_id], "installed": installed, "fixed_in": fixed_in, "note": note,
            })
        upgrade = session.scalar(select(Upgrade).where(
            Upgrade.hospital_id == hospital_id, Upgrade.system == triage.system,
            Upgrade.at >= at - RECENT_UPGRADE, Upgrade.at <= at,
        ).order_by(Upgrade.at.desc()).limit(1))
        if upgrade is not None:
            days = max(0, (at - upgrade.at).days)
            advice.evidence.append({
                "source": "recently_upgraded", "field": "system", "value": triage.system,
                "from": upgrade.from_version, "to": upgrade.to_version, "days_ago": days,
                "note": f"{days} 天前从 {upgrade.from_version} 升级到 {upgrade.to_version}",
            })
        return advice
