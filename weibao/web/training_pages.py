"""The /trainings page: sessions of a hospital, planned vs done against the contract,
handbook links, and (for vendor staff) planning and recording sessions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope
from weibao.routing.models import Engineer
from weibao.training import service as training
from weibao.training.models import TRAINING_AUDIENCES
from weibao.web.deps import Caller
from weibao.web.desk_view import local_time
from weibao.web.i18n import MESSAGES, request_lang
from weibao.web.security.policy import Permission
from weibao.web.templating import render

router = APIRouter(include_in_schema=False)  # a page, not part of the API schema (as every page router)


@router.get("/trainings", response_class=HTMLResponse)
def trainings_page(
    request: Request,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    caller: Caller = Permission("trainings.read"),
) -> Response:
    lang = request_lang(request)
    own = caller.role in HOSPITAL_ROLES
    chosen = caller.hospital_id if own else (hospital_id or None)
    with session_scope(request.app.state.database.sessions) as session:
        hospitals = [(h.id, h.name) for h in session.scalars(select(Hospital).order_by(Hospital.id))]
        if own:
            hospitals = [h for h in hospitals if h[0] == caller.hospital_id]
        known = {h[0] for h in hospitals}
        refusal = None
        if chosen is not None and chosen not in known:
            refusal, chosen = MESSAGES["training_unknown_hospital"][lang], None
        tz = "Asia/Shanghai"
        if chosen is not None:
            hospital = session.get(Hospital, chosen)
            tz = hospital.timezone if hospital else tz
        year = year or dt.datetime.now(dt.UTC).year
        items = training.listing(session, hospital_id=chosen, year=year) if chosen else []
        summary = training.planned_vs_done(session, hospital_id=chosen, year=year) if chosen else None
        engineers = [(e.id, e.name) for e in session.scalars(select(Engineer).order_by(Engineer.id))]
    names = dict(hospitals)
    engineer_names = dict(engineers)
    for item in items:
        item["hospital_name"] = names.get(item["hospital_id"], "")
        item["trainer_name"] = engineer_names.get(item["trainer_id"] or "", "")
        item["when"] = local_time(dt.datetime.fromisoformat(item["held_at"] or item["planned_at"]), tz, lang)
    return render(
        request, "training.html", items=items, summary=summary, hospitals=hospitals, chosen=chosen,
        year=year, engineers=engineers, training_audiences=TRAINING_AUDIENCES, refusal=refusal,
        may_manage=caller.role in ("engineer", "manager", "admin"),
        js_messages={k: v[lang] for k, v in MESSAGES.items() if k.startswith("training_js_")},
    )
