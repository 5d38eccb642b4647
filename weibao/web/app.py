"""The FastAPI application: mounts routers and pages; owns no logic of its own."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from weibao.core import privacy
from weibao.core.db import Database
from weibao.core.settings import Settings
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.web import (
    api_docs,
    authoring_pages,
    engineer_pages,
    estate_routes,
    inspection_routes,
    metrics,
    pages,
    reporter_pages,
    service_pages,
    ticket_pages,
    training_routes,
)
from weibao.web.api import accounts as accounts_api
from weibao.web.api import alerts as alerts_api
from weibao.web.api import article_images as article_images_api
from weibao.web.api import audit as audit_api
from weibao.web.api import authoring as authoring_api
from weibao.web.api import chat as chat_api
from weibao.web.api import corrections as corrections_api
from weibao.web.api import followup as followup_api
from weibao.web.api import graph as graph_api
from weibao.web.api import notify as notify_api
from weibao.web.api import search as search_api
from weibao.web.api import tickets as tickets_api
from weibao.web.inspection_monitor import start_inspection_monitor, stop_inspection_monitor
from weibao.web.notify_monitor import start_notify_monitor, stop_notify_monitor
from weibao.web.request_actor import RequestActorMiddleware
from weibao.web.security import pages as security_pages
from weibao.web.security.errors import PROBLEM_RESPONSES, input_refusal, install_error_handlers
from weibao.web.security.keys import load_secret_key
from weibao.web.security.logsafety import install_log_safety, log_path
from weibao.web.security.middleware import (
    BodySizeLimitMiddleware,
    InputCharacterMiddleware,
    SecurityHeadersMiddleware,
)
from weibao.web.security.policy import check_routes, require
from weibao.web.security.ratelimit import DatabaseRateLimiter
from weibao.web.security.session import SessionMiddleware
from weibao.web.sla_monitor import start_sla_monitor, stop_sla_monitor
from weibao.web.training_monitor import start_training_monitor, stop_training_monitor

log = logging.getLogger(__name__)

# Opens the knowledge base and the ticket desk; the entry point passes it in, since the
# wiring (`weibao.bootstrap`) sits above the web layer.
ServiceOpener = Callable[[], tuple[KnowledgeBase, TicketDesk]]


def create_app(
    settings: Settings,
    kb: KnowledgeBase | None = None,
    database: Database | None = None,
    desk: TicketDesk | None = None,
    open_services: ServiceOpener | None = None,
) -> FastAPI:
    """Builds the app. Tests pass ready services; `weibao serve` passes `open_services`,
    which start-up calls (see `weibao.bootstrap.create_web_app`)."""
    install_log_safety()
    # The masking of every stored text uses this deployment's hotline and record patterns.
    privacy.configure(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "kb", None) is None:
            if open_services is None:
                raise RuntimeError("create_app needs the services or open_services")
            app.state.kb, app.state.desk = open_services()
        metrics.instrument_kb(app.state.kb)
        monitor = start_sla_monitor(app.state.desk, settings.sla_check_seconds,
                                    timedelta(days=settings.followup_window_days))
        notifier = start_notify_monitor(app.state.desk, settings)
        inspector = start_inspection_monitor(app, settings.inspection_check_seconds)
        trainer = start_training_monitor(app, settings.train_every_hours * 3600)
        try:
            yield
        finally:
            await stop_training_monitor(trainer)
            await stop_inspection_monitor(inspector)
            await stop_notify_monitor(notifier)
            await stop_sla_monitor(monitor)

    app = FastAPI(
        title="WeiBao 维保",
        version="0.1.0",
        description="Knowledge base and ticket desk for smart-hospital software maintenance.",
        lifespan=lifespan,
        docs_url=None,  # served by api_docs from the vendored assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.kb = kb
    app.state.desk = desk
    app.state.database = database or Database(settings.resolved_database_url)
    app.state.rate_limiter = DatabaseRateLimiter(app.state.database.engine)

    @app.get(
        "/healthz",
        tags=["ops"],
        summary="Liveness and index status",
        dependencies=[Depends(require("public"))],
    )
    def healthz() -> dict[str, object]:
        current: KnowledgeBase | None = app.state.kb
        index = current.index if current is not None else None
        # pid and index_seq tell the workers of `serve --workers N` apart: per worker, the
        # generation and the applied change-log seq only move forward.
        return {
            "status": "ok",
            "pid": os.getpid(),
            "chunks": len(index) if index is not None else 0,
            "documents": len(index.doc_keys()) if index is not None else 0,
            "index_generation": index.generation if index is not None else None,
            "index_seq": current.applied_seq if current is not None else None,
            "model": index.model_name if index is not None else None,
        }

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never leak a traceback or request text to the client; the log has the type and
        # the decoded, masked path only (the server logs the traceback, masked too).
        log.error(
            "unhandled %s on %s %s", type(exc).__name__, request.method, log_path(request.url.path)
        )
        return JSONResponse({"detail": "internal error"}, status_code=500)

    install_error_handlers(app)
    tickets_api.install(app)
    for api in (search_api, graph_api, tickets_api, alerts_api, accounts_api, audit_api):
        app.include_router(api.router, responses=PROBLEM_RESPONSES)
    app.include_router(authoring_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(article_images_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(corrections_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(chat_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(followup_api.router, responses=PROBLEM_RESPONSES)
    app.include_router(notify_api.router, responses=PROBLEM_RESPONSES)
    api_docs.install(app)
    estate_routes.install(app)
    inspection_routes.install(app)
    training_routes.install(app)
    service_pages.install(app)
    app.include_router(authoring_pages.router)  # before pages: /articles/new is no article id
    app.include_router(pages.router)
    app.include_router(ticket_pages.router)
    app.include_router(engineer_pages.router)
    app.include_router(reporter_pages.router)
    app.include_router(security_pages.router)
    # Added innermost first: headers wrap everything, including 413 answers. NUL and lone
    # surrogates are refused (422) before any handler, with the body already size-limited.
    app.add_middleware(InputCharacterMiddleware, routes=app.router.routes, refuse=input_refusal)
    app.add_middleware(
        SessionMiddleware,
        secret_key=load_secret_key(settings, app.state.database),
        max_age=int(settings.session_hours * 3600),
        always_secure=settings.cookie_secure,
    )
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes,
        # Screenshots and logs: the attachment limit plus room for the multipart envelope.
        overrides=[(r"(/api)?/tickets/[^/]+/attachments",
                    max(settings.max_body_bytes, settings.attachment_max_bytes + 65_536)),
                   # The new-ticket form may carry one file: the form's own allowance plus it.
                   (r"/tickets/new", settings.max_body_bytes + settings.attachment_max_bytes + 65_536),
                   # An article's video: the file plus the multipart envelope.
                   (r"/api/articles/[^/]+/videos",
                    max(settings.max_body_bytes, settings.article_video_max_bytes + 65_536))],
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestActorMiddleware)  # who acts, for the audit rows of domain calls
    metrics.install(app)  # /metrics, and request latency measured outermost
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    check_routes(app.routes)
    return app
