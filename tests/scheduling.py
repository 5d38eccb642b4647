"""How `make test` spreads modules over its two pytest processes (`-n 2 --dist loadfile`).

xdist's loadfile keeps each module whole on one process (its module fixtures are built
once). Two things are added here:
- the pg_crowd modules (many PostgreSQL connections at once; see tests/conftest.py) are one
  unit of work, so they queue on one process instead of leaving the other idle on their
  lock (about five minutes of one process's wall time in the CI of 2026-12-01);
- units are handed out long ones first (the order of the items, see `order_items`), so that
  no long module starts while the other process has nothing left to do.
(xdist's own `--dist loadgroup` would group by marker, but it renames items through a field
that pytest 9 no longer reads.)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

PG_CROWD_GROUP = "pg_crowd"
ROOT = Path(__file__).resolve().parent.parent
# Modules that took more than ~40 s in CI (2026-12-01), longest first.
LONG_MODULES = (
    "tests/web/security/test_planted_data.py",
    "tests/test_cli_operator_errors.py",
    "tests/kb/test_embedding_backends.py",
    "tests/web/security/test_route_matrix.py",
    "tests/web/test_ticket_security.py",
    "tests/test_cli.py",
    "tests/kb/test_service.py",
    "tests/test_cli_accounts.py",
    "tests/web/test_followup_api.py",
    "tests/web/test_browser_followup.py",
    "tests/kb/test_incremental_index.py",
    "tests/training/test_trainings.py",
    "tests/web/security/test_bad_input.py",
    "tests/kb/test_search_quality.py",
    "tests/web/test_models_across_hosts.py",  # added 2026-12-02: a real `weibao train` per database
    "tests/routing/test_training.py",
)
FIRST = (PG_CROWD_GROUP, *LONG_MODULES)


@cache
def unit_of_module(module: str) -> str:
    """The unit of work of a module's tests: the module, or the pg_crowd group (the marker
    is set module-wide with `pytestmark`, so the module's text says it)."""
    path = ROOT / module
    if path.suffix == ".py" and path.is_file() and "mark.pg_crowd" in path.read_text(encoding="utf-8"):
        return PG_CROWD_GROUP
    return module


def unit_of(nodeid: str) -> str:
    return unit_of_module(nodeid.split("::", 1)[0])


def order_items(items: list[pytest.Item]) -> None:
    """Long units first, then the rest by their number of tests; stable, so each module's
    tests keep their order and stay together."""
    sizes: dict[str, int] = {}
    for item in items:
        unit = unit_of(item.nodeid)
        sizes[unit] = sizes.get(unit, 0) + 1

    def rank(item: pytest.Item) -> tuple[int, int]:
        unit = unit_of(item.nodeid)
        return (FIRST.index(unit), 0) if unit in FIRST else (len(FIRST), -sizes[unit])

    items.sort(key=rank)


class ModuleGroupScheduling(LoadScopeScheduling):
    """loadfile, with the pg_crowd modules as one unit and the workers' order kept."""

    def __init__(self, config: pytest.Config, log: object = None) -> None:
        config.option.loadscopereorder = False  # the items already come longest first
        super().__init__(config, log)  # type: ignore[arg-type]

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
