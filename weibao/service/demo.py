"""`weibao demo`: six months of realistic, clearly marked demo history, and its removal.

Demo tickets carry codes ``DEMO-…`` and the reporter name 「演示数据」; demo searches and
chat turns start with 「【演示】」. Nothing else is written (no contract versions, no index
documents, no accounts), so `remove` deletes exactly the demo rows: those tickets with their
events, comments, resolutions and ratings, and those query-log rows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.routing.contracts import terms_at
from weibao.routing.followup_models import Rating
from weibao.routing.models import PRIORITIES, Comment, Engineer, Resolution, Ticket, TicketEvent
from weibao.routing.sla import due_times
from weibao.service.gaps import log_query
from weibao.service.models import QueryLog

CODE_PREFIX = "DEMO-"
REPORTER = "演示数据"
QUERY_MARK = "【演示】"

# (system, symptom, title, root cause, fix step): what hospitals report most.
PROBLEMS = (
    ("his", "slow", "门诊医生站开处方很卡", "数据库统计信息过期，执行计划走了全表扫描", "重新收集统计信息并重建索引"),
    ("registration", "outage", "挂号窗口无法访问", "应用服务器连接池耗尽", "重启应用并调大连接池上限"),
    ("emr", "login_failure", "电子病历登录提示无权限", "科室权限模板未同步", "在权限中心重新下发科室模板"),
    ("lis", "interface_error", "检验结果回传超时", "接口引擎队列积压", "清理积压消息并扩容接口线程"),
    ("pacs", "image_load", "放射科看不了片子", "影像存储网关证书过期", "更新网关证书并重启服务"),
    ("insurance", "settlement_failure", "医保结算失败", "医保前置机时钟偏差", "校准前置机时间并重试结算"),
    ("terminal", "print_failure", "护士站腕带打印机打不出", "打印驱动被系统更新替换", "重装指定版本驱动"),
    ("pharmacy", "data_sync", "药房库存和系统对不上", "夜间同步任务失败", "补跑同步任务并加监控"),
    ("infrastructure", "storage_alarm", "存储空间告警", "归档日志未清理", "清理归档并设置保留策略"),
    ("nursing", "crash_error", "移动护理 PDA 闪退", "旧版本客户端缓存损坏", "升级客户端并清理缓存"),
)
QUERIES = (
    "门诊很卡怎么办", "片子打不开", "医保结算报错", "打印机打不出腕带", "检验仪器报错 E-4471",
    "自助机吞卡", "PDA 扫码没反应", "电子病历模板丢了", "叫号屏不显示", "挂号系统登录不了",
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    tickets: int
    queries: int
    ratings: int

    def summary(self) -> str:
        return f"{self.tickets} demo tickets, {self.queries} demo searches/chat turns, {self.ratings} ratings"


def _exists(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.code.like(f"{CODE_PREFIX}%"))) != 0


def fill(*, session: Session, now: dt.datetime | None = None, months: int = 6, per_day: float = 3.0,
         seed: int = 2026) -> DemoReport:
    """Writes the demo history of the last `months` months; refuses when it is there already."""
    if _exists(session):
        raise ValueError("demo data is already there; run `weibao demo --remove` first")
    hospitals = list(session.scalars(select(Hospital).order_by(Hospital.id)))
    engineers = [e.id for e in session.scalars(select(Engineer).where(Engineer.active.is_(True)).order_by(Engineer.id))]
    if not hospitals:
        raise ValueError("no hospitals: run `weibao init` first")
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=30 * months)
    tickets = queries = ratings = 0
    day = start
    serial = 0
    while day < now:
        for _ in range(int(per_day) + (1 if rng.random() < per_day % 1 else 0)):
            hospital = rng.choice(hospitals)
            created = day + dt.timedelta(minutes=rng.randrange(0, 24 * 60))
            if created >= now:
                continue
            system, symptom, title, cause, step = rng.choice(PROBLEMS)
            priority = rng.choices(PRIORITIES, weights=(1, 3, 5, 2))[0]
            terms = terms_at(session, hospital.id, created)
            response_due, resolution_due = due_times(created, priority, terms.tier, hospital.timezone,
                                                     targets=terms.targets)
            target = terms.targets[priority]
            # Mostly in time, sometimes late: a realistic share of breaches.
            responded = created + dt.timedelta(minutes=target.response_minutes * rng.uniform(0.1, 1.3))
            resolved = responded + dt.timedelta(minutes=target.resolution_minutes * rng.uniform(0.1, 1.4))
            still_open = resolved > now or rng.random() < 0.03
            assignee = rng.choice(engineers) if engineers else None
            serial += 1
            ticket = Ticket(
                code=f"{CODE_PREFIX}{serial:05d}", hospital_id=hospital.id, reporter_name=REPORTER,
                reporter_role="clinician", channel=rng.choice(("web", "web", "chat", "monitoring", "phone")),
                title=title, description=f"{REPORTER}：{title}", system=system, symptom=symptom,
                priority=priority, triage={"demo": True}, status="in_progress" if still_open else "resolved",
                assignee_id=assignee, tier=terms.tier, timezone=hospital.timezone, created_at=created,
                updated_at=created, first_response_at=min(responded, now),
                resolved_at=None if still_open else resolved, response_due=response_due,
                resolution_due=resolution_due, contract_version_id=terms.version_id,
                sla_targets=terms.stored_targets or None,
            )
            session.add(ticket)
            session.flush()
            session.add(TicketEvent(ticket_id=ticket.id, hospital_id=hospital.id, at=created, actor="demo",
                                    kind="assigned", detail={"engineer_id": assignee, "demo": True}))
            tickets += 1
            if not still_open:
                session.add(Resolution(ticket_id=ticket.id, hospital_id=hospital.id, root_cause=cause,
                                       fix_steps=[step], resolved_by=assignee, resolved_by_actor="demo",
                                       at=resolved))
                if rng.random() < 0.6:
                    session.add(Rating(ticket_id=ticket.id, hospital_id=hospital.id,
                                       score=rng.choices((5, 4, 3, 2, 1), weights=(6, 3, 1, 0.5, 0.3))[0],
                                       comment="", actor="demo", at=resolved + dt.timedelta(hours=2)))
                    ratings += 1
        for _ in range(int(per_day * 2)):
            hospital = rng.choice(hospitals)
            at = day + dt.timedelta(minutes=rng.randrange(0, 24 * 60))
            if at >= now:
                continue
            text = rng.choice(QUERIES)
            gap = "E-4471" in text or rng.random() < 0.15
            log_query(session=session, source=rng.choice(("search", "search", "chat")),
                      query=f"{QUERY_MARK}{text}", hospital_id=hospital.id, user_id=None,
                      result_count=0 if gap and rng.random() < 0.5 else 5, top_score=0.02,
                      confidence=rng.uniform(0.05, 0.3) if gap else rng.uniform(0.5, 0.9), at=at)
            queries += 1
        day += dt.timedelta(days=1)
    session.flush()
    return DemoReport(tickets, queries, ratings)


def remove(*, session: Session) -> DemoReport:
    """Deletes exactly the demo rows (children first: SQLite may not enforce cascades)."""
    ids = list(session.scalars(select(Ticket.id).where(Ticket.code.like(f"{CODE_PREFIX}%"))))
    ratings = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        ratings += int(session.scalar(select(func.count()).select_from(Rating).where(
            Rating.ticket_id.in_(chunk))) or 0)
        session.execute(delete(Rating).where(Rating.ticket_id.in_(chunk)))
        for model in (TicketEvent, Comment, Resolution):
            session.execute(delete(model).where(model.ticket_id.in_(chunk)))
        session.execute(delete(Ticket).where(Ticket.id.in_(chunk)))
    marked = QueryLog.query.like(f"{QUERY_MARK}%")
    queries = int(session.scalar(select(func.count()).select_from(QueryLog).where(marked)) or 0)
    session.execute(delete(QueryLog).where(marked))
    session.flush()
    return DemoReport(len(ids), int(queries), int(ratings))
