"""Monitoring webhook: Alertmanager's JSON (and anything that posts the same shape)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from weibao.routing.alerts import MonitoringAlert, receive_alert
from weibao.web.api.tickets import CONFLICT, NOT_FOUND, actor_of, desk_errors, reporting_hospital
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["monitoring"])

ShortText = Annotated[str, Field(max_length=2000)]


class AlertIn(BaseModel):
    # Senders add fields of their own (generatorURL, endsAt, …): ignore them, check ours.
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[Annotated[str, Field(max_length=100)], ShortText] = Field(max_length=50)
    annotations: dict[Annotated[str, Field(max_length=100)], ShortText] = Field(default_factory=dict, max_length=50)
    startsAt: str = Field("", max_length=40)
    fingerprint: str = Field("", max_length=100)


class AlertBatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    alerts: list[AlertIn] = Field(min_length=1, max_length=100)


class AlertOutcomeOut(BaseModel):
    key: str
    action: Literal["created", "repeated", "recovered", "ignored"]
    ticket: str | None


class AlertBatchOut(BaseModel):
    results: list[AlertOutcomeOut]


@router.post(
    "/alerts", response_model=AlertBatchOut, responses={**NOT_FOUND, **CONFLICT},
    summary="Monitoring alerts (Alertmanager webhook shape): one open ticket per alert",
)
def post_alerts(
    body: AlertBatchIn,
    desk: DeskDep,
    caller: Caller = Permission("tickets.create"),
    hospital_id: Annotated[str | None, Query(max_length=64, description="required for vendor roles")] = None,
) -> dict[str, object]:
    hospital = reporting_hospital(caller, hospital_id, "query")
    results = []
    for alert in body.alerts:
        with desk_errors():
            outcome = receive_alert(
                desk, hospital,
                MonitoringAlert(alert.status, alert.labels, alert.annotations, alert.startsAt, alert.fingerprint),
                actor_of(caller), caller.user_id,
            )
        results.append({"key": outcome.key, "action": outcome.action, "ticket": outcome.ticket})
    return {"results": results}
