"""Wires a knowledge base from settings: database, ontology, linker, graph and index."""

from __future__ import annotations

from weibao.core import migrate
from weibao.core.db import Database
from weibao.core.model_files import sync_model
from weibao.core.settings import Settings
from weibao.graph.classifier import STORED, load_model, model_path
from weibao.graph.ensemble import EnsembleLinker
from weibao.graph.knowledge_graph import KnowledgeGraph
from weibao.graph.ontology import load_ontology
from weibao.kb.embedding import Embedder
from weibao.kb.service import KnowledgeBase


def build_knowledge_base(
    settings: Settings, embedder: Embedder | None = None, database: Database | None = None
) -> KnowledgeBase:
    database = database or Database(settings.resolved_database_url)
    ontology = load_ontology(settings.ontology_dir)
    kb = KnowledgeBase(settings, database.sessions, embedder, domain_words=ontology.all_words())
    # The dictionary and the learned model as one linker: every reader of kb.link and
    # kb.understand (entities API, triage, search, chat) gets the same labels. Without a
    # trained model (`weibao train`) it is the dictionary alone. The model is the
    # database's, whichever host trained it; the data folder keeps a copy.
    sync_model(database.engine, STORED, model_path(settings.data_dir))
    linker = EnsembleLinker(ontology, model=load_model(model_path(settings.data_dir)))
    kb.attach_graph(linker, KnowledgeGraph())
    return kb


def open_knowledge_base(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    kb = build_knowledge_base(settings, embedder)
    kb.open()
    return kb


def prepare_database(settings: Settings) -> Database:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    migrate.upgrade(database.engine)
    return database

