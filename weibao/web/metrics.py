"""Prometheus metrics at /metrics, through prometheus-client.

- `weibao_http_request_duration_seconds{method,route,status}`: request latency by route
  *template* (`/api/tickets/{code}`), never the raw path: no ticket codes, names or query
  text in labels. Unmatched paths are counted as route="<unmatched>".
- `weibao_search_duration_seconds{entry}`: search latency inside the knowledge base, total
  per entry point (`linked`: linking + graph + hybrid; `plain`: hybrid only).
- `weibao_sla_breaches_total{target}`: breaches found by the SLA check.
- read at scrape time: `weibao_index_chunks`, `weibao_index_generation`,
  `weibao_index_change_seq` (newest row of the index change log),
  `weibao_index_lag_changes` (that minus the worker's applied sequence, when the knowledge
  base reports one), `weibao_tickets_open{priority}`, `weibao_tickets_unassigned`,
  `weibao_tickets_breached{target}` (open tickets past a target).

Several workers: `weibao serve --workers N` sets PROMETHEUS_MULTIPROC_DIR to a folder
under DATA_DIR, emptied at start; counters and histograms are then summed over all
workers on every scrape. The index figures are those of the worker that answers the
scrape (each worker has its own index cache); queue figures come from the database.

Readable without sign-in, as Prometheus scrapes, unless WEIBAO_METRICS_TOKEN is set: then
`Authorization: Bearer <token>` is required (401 otherwise).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from weibao.web.security.policy import require

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_LATENCY = Histogram(
    "weibao_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SEARCH_LATENCY = Histogram(
    "weibao_search_duration_seconds",
    "Knowledge-base search latency, total per entry point",
    ["entry"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
SLA_BREACHES = Counter(
    "weibao_sla_breaches_total", "SLA targets found breached by the SLA check", ["target"]
)


def record_sla_changes(changes: Iterable[dict[str, object]]) -> None:
    for change in changes:
        if change.get("state") == "breached":
            SLA_BREACHES.labels(target=str(change.get("target", ""))).inc()


def instrument_kb(kb: Any) -> None:
    """Times the knowledge base's searches (wraps this instance's entry points; "linked"
    links then runs an "understood" search, which is observed on its own too)."""
    if kb is None or getattr(kb, "_metrics_instrumented", False):
        return
    entries = (("search", "plain"), ("search_linked", "linked"), ("search_understood", "understood"))
    for name, entry in entries:
        original = getattr(kb, name, None)
        if original is None:
            continue
        setattr(kb, name, _timed(original, SEARCH_LATENCY.labels(entry=entry)))
    kb._metrics_instrumented = True


def _timed(fn: Callable[..., Any], histogram: Any) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            histogram.observe(time.perf_counter() - started)

    return timed


class RequestMetricsMiddleware:
    """Observes each HTTP request's latency under its route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            REQUEST_LATENCY.labels(
                method=scope.get("method", ""), route=template, status=str(status["code"])
            ).observe(time.perf_counter() - started)


class StateCollector(Collector):
    """Figures read when scraped: index size and lag, queue depths, breached tickets."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        kb = getattr(self.app.state, "kb", None)
        index = getattr(kb, "index", None) if kb is not None else None
        if index is not None:
            yield GaugeMetricFamily("weibao_index_chunks", "Passages in this worker's index", value=len(index))
            generation = getattr(index, "generation", None)
            if generation is not None:
                yield GaugeMetricFamily(
                    "weibao_index_generation", "This worker's index generation", value=generation
                )
        try:
            yield from self._database_figures(kb)
        except Exception as exc:  # a scrape must answer even when the database is away
            log.warning("metrics: database figures unavailable (%s)", type(exc).__name__)

    def _database_figures(self, kb: Any) -> Iterator[GaugeMetricFamily]:
        from weibao.kb.models import IndexChange
        from weibao.routing.models import OPEN_STATUSES, Ticket

        database = self.app.state.database
        with database.session() as session:
            max_seq = session.scalar(select(func.max(IndexChange.seq))) or 0
            by_priority = session.execute(
                select(Ticket.priority, func.count())
                .where(Ticket.status.in_(OPEN_STATUSES))
                .group_by(Ticket.priority)
            ).all()
            unassigned = session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_(None))
            ) or 0
            breached = {
                target: session.scalar(
                    select(func.count())
                    .select_from(Ticket)
                    .where(Ticket.status.in_(OPEN_STATUSES), column == "breached")
                ) or 0
                for target, column in (
                    ("response", Ticket.response_state),
                    ("resolution", Ticket.resolution_state),
                )
            }
        yield GaugeMetricFamily(
            "weibao_index_change_seq", "Newest sequence number of the index change log", value=max_seq
        )
        applied = getattr(kb, "applied_seq", None) if kb is not None else None
        if isinstance(applied, int):
            yield GaugeMetricFamily(
                "weibao_index_lag_changes",
                "Index changes in the database this worker has not applied yet",
                value=max(0, max_seq - applied),
            )
        open_tickets = GaugeMetricFamily(
            "weibao_tickets_open", "Open tickets by priority", labels=["priority"]
        )
        for priority, count in by_priority:
            open_tickets.add_metric([str(priority)], count)
        yield open_tickets
        yield GaugeMetricFamily(
            "weibao_tickets_unassigned", "Open tickets without an assignee", value=unassigned
        )
        late = GaugeMetricFamily(
            "weibao_tickets_breached", "Open tickets past an SLA target", labels=["target"]
        )
        for target, count in breached.items():
            late.add_metric([target], count)
        yield late


def _check_token(request: Request) -> None:
    """With WEIBAO_METRICS_TOKEN set, the scraper must send it as a Bearer token; the
    caller is then treated as anonymous (the token is not an account's API token)."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), expected):
        # Plain JSON 401 (not the sign-in redirect pages get): a scraper is not a browser.
        raise HTTPException(401, "metrics token required", headers={"WWW-Authenticate": "Bearer"})
    from weibao.web.deps import ANONYMOUS

    request.state.caller = ANONYMOUS


def _render(state: CollectorRegistry) -> bytes:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return body + generate_latest(state)


def install(app: FastAPI) -> None:
    """Mounts /metrics and the request-latency middleware on the app."""
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(app))

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics",
        include_in_schema=True,
        # Prometheus' text format, documented as such (not FastAPI's default JSON).
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
                   401: {"description": "a metrics token is set and was not given"}},
        dependencies=[Depends(_check_token), Depends(require("public"))],
    )
    def metrics() -> Response:
        return Response(_render(state), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestMetricsMiddleware)
