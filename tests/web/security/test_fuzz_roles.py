"""The whole API fuzzed as every role: never a server error (CI-sized bench/fuzz_api.py).

Each role gets its own fresh database and app (see `bench.fuzz_api.run_role`): a few
derandomized schemathesis examples per operation in positive and negative modes, plus a
few steps of the inferred stateful workflow, with every check run and tallied. Only a
response >= 500 fails the test; the message is the run's summary with the cause, the
innermost weibao frame and a masked curl reproduction. The coverage phase and the large
budgets are left to `python -m bench.fuzz_api` (minutes per role), which also reports the
other checks' failures.
"""

from __future__ import annotations

import pytest

from bench.fuzz_api import ROLES, format_report, run_role
from tests.conftest import _PG_SKIP

pytestmark = pytest.mark.pg_crowd

# Per role: about 3 fuzzed cases per operation and ~20 stateful steps; a few seconds.
CASES = 100


def _fuzz(role: str, db: str) -> None:
    report = run_role(
        role, db, CASES, derandomize=True, coverage=False, stateful_share=0.2, step_count=5
    )
    assert report.cases > 0 and not report.harness_errors, format_report(report)
    assert report.server_error_count == 0, format_report(report)


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_on_sqlite(role: str) -> None:
    _fuzz(role, "sqlite")


@pytest.mark.postgres
@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_on_postgresql(role: str) -> None:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    _fuzz(role, "postgres")
