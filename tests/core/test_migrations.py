"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from weibao.core.db import Database
from weibao.migrations.models_registry import metadata


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = Database(database_url).engine
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
