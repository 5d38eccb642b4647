"""Builds the running services from settings: database, knowledge base, graph, ticket desk."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weibao.core import migrate
from weibao.core.db import Database
from weibao.core.model_files import sync_model
from weibao.core.settings import Settings, get_settings
from weibao.estate.advisor import VersionAdvisor
from weibao.graph.service import GraphService
from weibao.kb.embedding import Embedder
from weibao.kb.ingest import IngestReport
from weibao.kb.runtime import build_knowledge_base, prepare_database
from weibao.kb.service import KnowledgeBase
from weibao.routing.desk import TicketDesk
from weibao.routing.priority_model import STORED as PRIORITY_STORED
from weibao.routing.priority_model import model_path as priority_model_path
from weibao.routing.runtime import open_desk, open_graph, seed_operations
from weibao.routing.seed import SeedReport

if TYPE_CHECKING:
    from fastapi import FastAPI


@dataclass(slots=True)
class Services:
    settings: Settings
    database: Database
    kb: KnowledgeBase
    desk: TicketDesk
    graph: GraphService


@dataclass(slots=True)
class InitReport:
    articles: IngestReport
    operations: SeedReport


@contextmanager
def collector_paused() -> Iterator[None]:
    """Start-up makes millions of small long-lived objects (passage metadata, graph
    edges); the cyclic collector would scan them over and over while they are made
    (two thirds of the index load at 300k passages)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def open_services(
    settings: Settings, embedder: Embedder | None = None, *, long_running: bool = False
) -> Services:
    with collector_paused():
        database = Database(settings.resolved_database_url)
        migrate.check_current(database.engine)
        # Triage's priority model: the database's, copied into the data folder it reads.
        sync_model(database.engine, PRIORITY_STORED, priority_model_path(settings.data_dir))
        kb = build_knowledge_base(settings, embedder, database)
        kb.open()
        # Built from the database after the index is open, then kept in step by the
        # index's change notifications (this process's writes and the others').
        graph = open_graph(kb)
        services = Services(settings, database, kb, open_desk(kb, graph), graph)
        # Triage reads the estate through the advisor it registers (routing never imports it).
        services.desk.advisors.append(VersionAdvisor())
    if long_running:
        # What start-up built lives as long as the server: keep it out of later full
        # collections, which would otherwise walk all of it and stall requests.
        gc.freeze()
    return services


def create_web_app(settings: Settings | None = None) -> FastAPI:
    """The app `weibao serve` runs; start-up opens its services. Also the factory it hands
    uvicorn by import string (`factory=True`, no arguments): each worker process then reads
    the settings and opens its own services."""
    from weibao.web.app import create_app

    resolved = settings or get_settings()

    def open_web_services() -> tuple[KnowledgeBase, TicketDesk]:
        services = open_services(resolved, long_running=True)
        return services.kb, services.desk

    return create_app(resolved, open_services=open_web_services)


def initialise_all(settings: Settings, embedder: Embedder | None = None) -> InitReport:
    """Migrates, loads seed articles and operations data, builds indexes; safe to re-run."""
    database = prepare_database(settings)
    kb = build_knowledge_base(settings, embedder, database)
    kb.open()
    articles = kb.ingest(settings.seed_dir)
    operations = seed_operations(kb, settings.seed_ops_dir)
    return InitReport(articles, operations)
