"""Schemathesis run of the whole JSON API, once per role, on SQLite or PostgreSQL.

    .venv/bin/python -m bench.fuzz_api --db sqlite|postgres \
        --role admin|hospital_it|engineer|clinician|anonymous|all --cases N \
        [--seed S] [--kb stand-in|real] [--json FILE] [--verbose]

What it builds, per role: the real app (`create_app`) over a fresh migrated database —
a SQLite file in a scratch folder (removed at the end), or a PostgreSQL database `weibao_fuzz_<pid>_<role>`
created on the server of `WEIBAO_FUZZ_PG_URL` (default
postgresql://postgres@127.0.0.1:5432/test) and dropped at the end — seeded by
`tests/web/security/conftest.build_env`: two hospitals, a contract, one engineer on duty,
one user per role with an API token, plus two tickets (one resolved). The knowledge base
is the small stand-in of those fixtures (no embedding model: search and chat answer
"nothing found"); the handlers, accounts, tickets, alerts and audit are the real ones.
`--kb real` instead runs `initialise_all` (seed corpus, ontology, indexes, the embedding
model, seed hospitals, engineers and tickets) per role: about 4 minutes of set-up per
role on this 2-core machine under load, for the same handlers plus real search and chat.
Every per-minute rate limit of the settings (`login_rate_per_minute`, `chat_…`,
`search_…`, `auth_failure_…`) is raised to 100,000 so the fuzzer reaches the handlers.

What it runs, against `/openapi.json` through the ASGI app in-process
(`schemathesis.openapi.from_asgi`), with the caller's `Authorization: Bearer` token
(none for `anonymous`):

1. every operation, through the same test builder as schemathesis' pytest integration:
   its examples and coverage phases (boundary and schema-violating values) and then
   Hypothesis fuzzing in positive and negative modes. The fuzzing budget is the role's
   share of --cases divided by the number of operations; operations whose input space
   runs out (e.g. GET /api/me) give their share to the others in further rounds, with
   new seeds, until the count is reached;
2. the stateful workflow schemathesis infers from the schema (`schema.as_state_machine()`:
   links such as POST /api/tickets -> GET /api/tickets/{code}, GET /api/tokens ->
   DELETE /api/tokens/{token_id}), for about 20 % of the cases (--stateful-share).

Each response is validated with every built-in check (`not_a_server_error`, status code,
content type, headers and body against the schema, `missing_required_header`,
`unsupported_method`, the stateful `use_after_free` and `ensure_resource_availability`,
`ignored_auth`, `object_level_authorization`) except three framework limits, the ones
tests/web/security/test_openapi_fuzz.py excludes:

- `allow_header_conformance`: FastAPI keeps one route per method, so a 405 lists only
  the first route's methods in Allow (GET for /api/tokens, though POST exists);
- `positive_data_acceptance`: rules that depend on the caller or on stored state (a
  vendor must name the hospital, a priority override needs a reason, a clinician may not
  see that ticket) answer a schema-valid request with 4xx; the schema cannot say so;
- `negative_data_rejection`: query values are parsed leniently by pydantic (0.5 is a
  valid timestamp), so a "schema-violating" value may be accepted.

A failed check does not stop the run: every case is counted, every failure is tallied by
check, and every response >= 500 is kept with the exception the app raised (the app's own
500 handler hides it from the client; a thin ASGI wrapper catches it on the way out), the
innermost frame of weibao code, and the smallest request seen for that cause, as a curl
command with the token and personal data (phones, ID and record numbers, names, password
fields) masked. If the fuzzer revokes the caller's own token (DELETE /api/tokens/{id}),
a new one is minted and the event counted. The summary is printed per role; --json FILE
writes it as JSON too. Exit status 1 when any server error occurred, else 0.

Measured on this 2-core machine (stand-in knowledge base, seed 0, 33 operations, other
jobs running): --cases 5000 gives 5,562-6,226 cases per role (1,232 coverage, 3,300
fuzzing, 1 example, 1,029-1,693 stateful steps); all five roles took 269 s on SQLite
(admin 60 s, hospital_it 70, engineer 62, clinician 48, anonymous 29) and 341 s on
PostgreSQL (107, 95, 58, 51, 30), with 0 server errors. Start full runs with nohup, e.g.

    nohup .venv/bin/python -m bench.fuzz_api --db sqlite --role all --cases 5000 \
        > /tmp/fuzz_sqlite.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hypothesis
import hypothesis.errors
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup

ROLES = ("admin", "hospital_it", "engineer", "clinician", "anonymous")
PG_ADMIN_URL = os.environ.get("WEIBAO_FUZZ_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
RATE_LIMIT = 100_000
# Framework limits, not product errors: see the module docstring.
EXCLUDED_CHECK_NAMES = ("allow_header_conformance", "positive_data_acceptance", "negative_data_rejection")
SECRET_KEYS = re.compile(r"pass|token|secret|authorization|cookie|csrf", re.I)
log = logging.getLogger("bench.fuzz_api")


# The app, with its exceptions caught on the way out


class ExceptionCatcher:
    """ASGI wrapper: records what the app raised and answers 500 if nothing was sent yet.

    Starlette re-raises after its 500 handler has answered (so that servers log it);
    in-process that would abort the fuzzer's call, and the traceback is what we want.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.raised: list[tuple[BaseException, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            self.raised.append((exc, traceback.format_exc()))
            if not started:
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": b'{"detail":"internal error"}'})

    def drain(self) -> list[tuple[BaseException, str]]:
        raised, self.raised = self.raised, []
        return raised


# Databases


@contextmanager
def fresh_database(kind: str, label: str) -> Iterator[str]:
    """A migrated, empty database URL; dropped (PostgreSQL) or left in /tmp (SQLite file)."""
    from weibao.core import migrate
    from weibao.core.db import Database

    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"weibao-fuzz-{label}-"))
        url = f"sqlite:///{folder / 'fuzz.db'}"
        database = Database(url)
        migrate.upgrade(database.engine)
        database.engine.dispose()
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    name = f"weibao_fuzz_{os.getpid()}_{label}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    try:
        database = Database(url)
        migrate.upgrade(database.engine)
        database.engine.dispose()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rate_overrides() -> dict[str, int]:
    """Every per-minute limit the settings know, raised so that handlers are reached."""
    from weibao.core.settings import Settings

    return {name: RATE_LIMIT for name in Settings.model_fields if name.endswith("_per_minute")}


# Recording


def _mask(value: Any, key: str = "") -> Any:
    from weibao.core.masking import mask_value

    if key and SECRET_KEYS.search(key):
        return "[masked]" if value not in (None, "") else value
    if isinstance(value, dict):
        return {k: _mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str):
        try:
            return mask_value(value)
        except Exception:  # a string the masker cannot read is shown as its length
            return f"[{len(value)} chars, unmaskable]"
    return value


def reproduction(case: Any, role: str) -> str:
    """A curl command for the case, token and personal data masked."""
    headers = {"Authorization": "Bearer [token of " + role + "]"} if role != "anonymous" else {}
    try:
        original = (case.body, case.query, case.path_parameters, case.headers, case.cookies)
        try:
            if isinstance(case.body, dict | list | str):
                case.body = _mask(case.body)
            if case.query:
                case.query = _mask(dict(case.query))
            if case.path_parameters:
                case.path_parameters = _mask(dict(case.path_parameters))
            if case.headers:
                case.headers = _mask(dict(case.headers))
            if case.cookies:
                case.cookies = _mask(dict(case.cookies))
            return case.as_curl_command(headers=headers)
        finally:
            case.body, case.query, case.path_parameters, case.headers, case.cookies = original
    except Exception as exc:  # the reproduction is best-effort; the signature is what counts
        return f"(no curl: {type(exc).__name__}) {case.method} {case.formatted_path}"


def _our_frame(trace: str) -> str:
    """The innermost `weibao/...` frame of a traceback, as path:line in function."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', trace)
    ours = [f for f in frames if "/weibao/" in f[0] and "site-packages" not in f[0]]
    pick = (ours or frames or [("?", "?", "?")])[-1]
    path = pick[0].split("/weibao/", 1)[-1]
    return f"weibao/{path}:{pick[1]} in {pick[2]}" if "/weibao/" in pick[0] else f"{pick[0]}:{pick[1]}"


@dataclass
class ServerError:
    method: str
    path: str
    status: int
    cause: str  # exception type and message, first line
    where: str  # innermost weibao frame
    reproduction: str
    size: int
    count: int = 1
    phase: str = ""


@dataclass
class RoleReport:
    role: str
    db: str
    cases: int = 0
    stateless_cases: int = 0
    stateful_steps: int = 0
    stateful_scenarios: int = 0
    seconds: float = 0.0
    setup_seconds: float = 0.0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    failure_examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_errors: dict[str, ServerError] = field(default_factory=dict)
    tokens_reminted: int = 0
    stateful_interrupted: int = 0
    harness_errors: list[str] = field(default_factory=list)

    @property
    def server_error_count(self) -> int:
        return sum(e.count for e in self.server_errors.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role, "db": self.db, "cases": self.cases,
            "stateless_cases": self.stateless_cases, "stateful_steps": self.stateful_steps,
            "stateful_scenarios": self.stateful_scenarios, "seconds": round(self.seconds, 1),
            "setup_seconds": round(self.setup_seconds, 1),
            "operations": self.operations, "statuses": dict(sorted(self.statuses.items())),
            "phases": dict(self.phases),
            "per_operation": dict(sorted(self.per_operation.items())),
            "failures_by_check": dict(self.failures.most_common()),
            "failure_examples": self.failure_examples,
            "server_errors": [vars(e) for e in self.server_errors.values()],
            "server_error_count": self.server_error_count,
            "tokens_reminted": self.tokens_reminted,
            "stateful_interrupted": self.stateful_interrupted, "harness_errors": self.harness_errors,
        }


def _check_name(failure: Failure) -> str:
    checks = type(failure).checks
    return checks[0] if len(checks) == 1 else f"{type(failure).__name__} ({'/'.join(checks)})"


class RoleRun:
    """Calls, validates and records the cases of one role against one app."""

    def __init__(self, env: Any, catcher: ExceptionCatcher, role: str, report: RoleReport,
                 excluded: tuple[str, ...] = EXCLUDED_CHECK_NAMES) -> None:
        self.env = env
        self.catcher = catcher
        self.role = role
        self.report = report
        load_all_checks()
        self.checks = [c for c in CHECKS.get_all() if c.__name__ not in excluded]

    def headers(self) -> dict[str, str]:
        if self.role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.env.tokens[self.role]}"}

    def execute(self, case: Any, recorder: Any = None) -> Any:
        headers = self.headers()
        self.catcher.drain()
        response = case.call(headers=headers)
        raised = self.catcher.drain()
        report = self.report
        report.cases += 1
        report.statuses[response.status_code] += 1
        report.per_operation[case.operation.label] += 1
        phase = ""
        if getattr(case, "meta", None) is not None:
            phase = str(getattr(getattr(case.meta, "phase", None), "name", "") or "")
        report.phases[phase.lower() or "stateful"] += 1
        if response.status_code >= 500:
            self._server_error(case, response.status_code, raised, phase)
        if response.status_code == 401 and self.role != "anonymous":
            self._remint_if_revoked()
        try:
            case.validate_response(
                response, checks=self.checks, headers=headers,
                transport_kwargs={"headers": headers}, recorder=recorder,
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                self._failure(case, response, failure)
        except Failure as failure:
            self._failure(case, response, failure)
        # Checks that re-send the request (ignored_auth, use_after_free) may hit an error too.
        for exc, trace in self.catcher.drain():
            self._server_error(case, 500, [(exc, trace)], "re-sent by a check")
        return response

    def _server_error(self, case: Any, status: int, raised: list[tuple[BaseException, str]], phase: str) -> None:
        if raised:
            exc, trace = raised[-1]
            first = (str(exc).splitlines() or [""])[0]
            cause = f"{type(exc).__module__}.{type(exc).__name__}: {_mask(first[:300])}"
            where = _our_frame(trace)
            log.debug("server error on %s: %s", case.operation.label, trace)
        else:
            cause, where = f"HTTP {status} answered by the app (no exception)", ""
        key = f"{case.operation.label} | {status} | {cause.split(':', 1)[0]} | {where}"
        repro = reproduction(case, self.role)
        known = self.report.server_errors.get(key)
        if known is None:
            self.report.server_errors[key] = ServerError(
                method=case.method.upper(), path=case.operation.path, status=status, cause=cause,
                where=where, reproduction=repro, size=len(repro), phase=phase,
            )
        else:
            known.count += 1
            if len(repro) < known.size:  # keep the smallest request that shows it
                known.reproduction, known.size, known.cause = repro, len(repro), cause

    def _failure(self, case: Any, response: Any, failure: Failure) -> None:
        name = _check_name(failure)
        self.report.failures[name] += 1
        if name == "not_a_server_error":
            return  # kept in detail by _server_error
        key = f"{name} | {case.operation.label} | {failure.title}"
        repro = reproduction(case, self.role)
        known = self.report.failure_examples.get(key)
        if known is None or len(repro) < len(known["reproduction"]):
            self.report.failure_examples[key] = {
                "check": name, "operation": case.operation.label, "title": failure.title,
                "status": response.status_code,
                "message": _mask((failure.message or "")[:400]),
                "reproduction": repro, "count": (known or {}).get("count", 0) + 1,
            }
        else:
            known["count"] += 1

    def _remint_if_revoked(self) -> None:
        """A fuzzer may revoke its own token (DELETE /api/tokens/{id}): mint a new one."""
        from weibao.core import accounts
        from weibao.core.db import session_scope

        with session_scope(self.env.database.sessions) as session:
            if accounts.authenticate_token(session=session, secret=self.env.tokens[self.role]):
                return
            user = accounts.get_user(session=session, user_id=self.env.user_ids[self.role])
            _, secret = accounts.create_token(
                session=session, user=user, name="fuzz", expires_in=timedelta(days=1)
            )
        self.env.tokens[self.role] = secret
        self.report.tokens_reminted += 1


# Running


def _settings(max_examples: int, explicit: bool, derandomize: bool, **extra: Any) -> hypothesis.settings:
    phases = [Phase.explicit, Phase.generate] if explicit else [Phase.generate]
    return hypothesis.settings(
        max_examples=max(1, max_examples), deadline=None, derandomize=derandomize,
        suppress_health_check=list(HealthCheck), database=None, phases=phases,
        verbosity=Verbosity.quiet, report_multiple_bugs=False, **extra,
    )


def _feedback(schema: Any) -> Any:
    from schemathesis.generation.feedback import FeedbackSources

    try:
        from schemathesis.python._constants.orchestrator import make_constants_value_source

        return FeedbackSources(constants_value_source=make_constants_value_source(schema))
    except Exception:  # constants are a generation aid, not a requirement
        return FeedbackSources()


def _operation_test(schema: Any, operation: Any, test: Any, settings: hypothesis.settings,
                    feedback: Any, coverage: bool) -> Any:
    """The Hypothesis test schemathesis' pytest integration builds for one operation."""
    from schemathesis.generation import overrides
    from schemathesis.generation.hypothesis.builder import (
        HypothesisTestConfig,
        HypothesisTestMode,
        create_test,
    )

    modes = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.FUZZING]
    if coverage:
        modes.append(HypothesisTestMode.COVERAGE)
    config = schema.config
    return create_test(
        operation=operation,
        test_func=test,
        config=HypothesisTestConfig(
            settings=config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
            explicit_settings=settings,
            explicit_setting_names=config.explicit_hypothesis_settings(operation=operation, phase="fuzzing"),
            modes=modes,
            project=config,
            override=overrides.with_config_headers(config, operation=operation),
            feedback=feedback,
        ),
    )


def run_operations(run: RoleRun, schema: Any, budget: int, seed: int, derandomize: bool,
                   coverage: bool = True, max_rounds: int = 8) -> None:
    """Every operation, all phases, until `budget` cases ran or every input space ran out.

    Round 0 runs the explicit examples and the coverage phase, then fuzzing with the
    operation's share of what is left; later rounds fuzz, with new seeds, only the
    operations whose input space did not run out.
    """
    operations = [r.ok() for r in schema.get_all_operations()]
    run.report.operations = len(operations)
    feedback = _feedback(schema)
    active = operations
    start = run.report.cases
    for round_no in range(max_rounds):
        done = run.report.cases - start
        if done >= budget or not active:
            break
        share = math.ceil((budget - done) / len(active))
        still_open = []
        for operation in active:
            generated = 0

            def test(case: Any) -> None:
                nonlocal generated
                run.execute(case)
                meta = getattr(case, "meta", None)
                if meta is None or "fuzz" in str(getattr(meta.phase, "name", "")).lower():
                    generated += 1

            test.__name__ = f"fuzz_{run.role}"
            settings = _settings(share, explicit=round_no == 0, derandomize=derandomize)
            hypothesis_test = _operation_test(schema, operation, test, settings, feedback,
                                              coverage=coverage and round_no == 0)
            if not derandomize:
                hypothesis_test = hypothesis.seed(seed + 7919 * round_no + _stable_hash(operation.label))(hypothesis_test)
            try:
                hypothesis_test()
            except Exception as exc:  # a harness or generation problem, not a product failure
                run.report.harness_errors.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:300]}")
            if generated >= share * 0.9:
                still_open.append(operation)
        active = still_open
        if derandomize:
            break
    run.report.stateless_cases = run.report.cases - start


def _stable_hash(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 100_003


def run_stateful(run: RoleRun, schema: Any, budget: int, seed: int, derandomize: bool,
                 step_count: int = 10, max_rounds: int = 10) -> None:
    """The inferred workflow (`schema.as_state_machine()`) until `budget` steps ran."""
    if budget <= 0:
        return
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {}

        def call(self, case: Any, **kwargs: Any) -> Any:
            self._response = run.execute(case, recorder=self.recorder)
            run.report.stateful_steps += 1
            return self._response

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            return None  # done in `call`, with the recorder, without raising

        def setup(self) -> None:
            run.report.stateful_scenarios += 1

    start = run.report.cases
    for round_no in range(max_rounds):
        done = run.report.cases - start
        if done >= budget:
            break
        scenarios = max(1, math.ceil((budget - done) / (step_count * 0.6)))
        if not derandomize:
            Workflow._hypothesis_internal_use_seed = seed + 104_729 * (round_no + 1)  # type: ignore[attr-defined]
        settings = _settings(scenarios, explicit=False, derandomize=derandomize, stateful_step_count=step_count)
        try:
            Workflow.run(settings=settings)
        except hypothesis.errors.Flaky:
            # Hypothesis replays a prefix of choices and the server state it depends on has
            # moved on (inherent to stateful runs against a stateful app): start a new round.
            run.report.stateful_interrupted += 1
        except Exception as exc:  # a harness problem: note it and go on
            run.report.harness_errors.append(f"stateful: {type(exc).__name__}: {str(exc)[:300]}")
        if derandomize or (run.report.cases - start == done and round_no > 2):
            break


def build_real_env(folder: Path, url: str) -> Any:
    """The app over the real knowledge base: seed corpus, ontology, indexes, embedding model,
    seed hospitals, engineers and tickets (`initialise_all`), plus one token user per role."""
    from tests.conftest import make_settings
    from tests.web.security.conftest import Env
    from weibao.bootstrap import initialise_all, open_services
    from weibao.core import accounts
    from weibao.core.db import session_scope
    from weibao.web.app import create_app

    settings = make_settings(folder, url, secret_key="fuzz-secret-key", **rate_overrides())
    report = initialise_all(settings)
    if report.articles.errors:
        raise RuntimeError(f"seed corpus did not load: {report.articles.errors[:3]}")
    services = open_services(settings)
    app = create_app(settings, kb=services.kb, database=services.database, desk=services.desk)
    env = Env(app=app, database=services.database, desk=services.desk)
    with session_scope(services.database.sessions) as session:
        hospital = accounts.get_all_hospitals(session=session)[0].id
        for role in ROLES:
            if role == "anonymous":
                continue
            user = accounts.create_user(
                session=session, username=f"fuzz-{role}", role=role,
                hospital_id=hospital if role in ("clinician", "hospital_it") else None,
            )
            _, secret = accounts.create_token(session=session, user=user, name="fuzz",
                                              expires_in=timedelta(days=1))
            env.tokens[role], env.user_ids[role] = secret, user.id
    return env


def run_role(role: str, db: str, cases: int, *, seed: int = 0, stateful_share: float = 0.2,
             derandomize: bool = False, coverage: bool = True, step_count: int = 10,
             kb: str = "stand-in", excluded: tuple[str, ...] = EXCLUDED_CHECK_NAMES) -> RoleReport:
    """One role over its own fresh database; returns the report."""
    from tests.web.security.conftest import build_env

    report = RoleReport(role=role, db=db)
    started = time.perf_counter()
    with fresh_database(db, role) as url:
        folder = Path(tempfile.mkdtemp(prefix=f"weibao-fuzz-{role}-"))
        if kb == "real":
            env = build_real_env(folder, url)
        else:
            env = build_env(folder, url, **rate_overrides())
            env.new_ticket()
            env.new_ticket(resolved=True)
        report.setup_seconds = time.perf_counter() - started
        try:
            catcher = ExceptionCatcher(env.app)
            schema = schemathesis.openapi.from_asgi("/openapi.json", catcher)
            run = RoleRun(env, catcher, role, report, excluded)
            stateful_budget = int(cases * stateful_share)
            run_operations(run, schema, cases - stateful_budget, seed, derandomize, coverage)
            run_stateful(run, schema, stateful_budget, seed, derandomize, step_count)
        finally:
            env.database.engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text)} chars; full text with --json]"


def format_report(report: RoleReport, limit: int = 25) -> str:
    lines = [
        f"== role {report.role} on {report.db}: {report.cases} cases in {report.seconds:.1f} s "
        f"(setup {report.setup_seconds:.1f} s) "
        f"({report.cases / max(report.seconds - report.setup_seconds, 1e-9):.1f}/s) — {report.stateless_cases} over "
        f"{report.operations} operations, {report.stateful_steps} stateful steps in "
        f"{report.stateful_scenarios} scenarios",
        "   statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(report.statuses.items())),
        "   phases: " + ", ".join(f"{k}: {v}" for k, v in report.phases.most_common()),
        f"   server errors (status >= 500): {report.server_error_count}"
        f" ({len(report.server_errors)} distinct)",
    ]
    for error in sorted(report.server_errors.values(), key=lambda e: -e.count):
        lines += [
            f"   [{error.status}] {error.method} {error.path}  x{error.count}",
            f"        cause: {error.cause}",
            f"        where: {error.where}",
            f"        repro: {_short(error.reproduction)}",
        ]
    lines.append("   failures by check: " + (", ".join(
        f"{name}: {n}" for name, n in report.failures.most_common()) or "none"))
    examples = sorted(report.failure_examples.values(), key=lambda e: -e["count"])
    for example in examples[:limit]:
        message = " ".join(str(example["message"]).split())[:200]
        lines += [
            f"   - {example['check']} on {example['operation']} (x{example['count']}, status "
            f"{example['status']}): {example['title']}: {message}",
            f"        repro: {_short(example['reproduction'])}",
        ]
    if len(examples) > limit:
        lines.append(f"   … {len(examples) - limit} more distinct check failures (see --json)")
    if report.tokens_reminted:
        lines.append(f"   own token revoked by the fuzzer and re-minted {report.tokens_reminted} times")
    if report.stateful_interrupted:
        lines.append(f"   stateful rounds cut short by Hypothesis' flaky-generation guard: "
                     f"{report.stateful_interrupted} (not a product failure; more rounds make up the count)")
    for error in report.harness_errors:
        lines.append(f"   harness: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--role", choices=[*ROLES, "all"], default="all")
    parser.add_argument("--cases", type=int, default=5000, help="at least this many cases per role")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stateful-share", type=float, default=0.2,
                        help="part of the cases spent in the stateful workflow")
    parser.add_argument("--kb", choices=["stand-in", "real"], default="stand-in",
                        help="the tests' stand-in knowledge base, or the real one over the seed "
                             "corpus (loads the embedding model and indexes per role)")
    parser.add_argument("--no-exclusions", action="store_true",
                        help="run the three framework-limit checks too (to see what they flag)")
    parser.add_argument("--json", type=Path, help="also write the reports here")
    parser.add_argument("--verbose", action="store_true", help="log tracebacks of server errors")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The app logs each unhandled error; the report has them with their cause.
    logging.getLogger("weibao").setLevel(logging.CRITICAL)
    roles = ROLES if args.role == "all" else (args.role,)
    excluded = () if args.no_exclusions else EXCLUDED_CHECK_NAMES
    reports = []
    print(f"schemathesis {schemathesis.__version__}, hypothesis {hypothesis.__version__}; "
          f"db={args.db} kb={args.kb} roles={','.join(roles)} cases>={args.cases} seed={args.seed}; "
          f"excluded checks: {', '.join(excluded) or 'none'}", flush=True)
    for role in roles:
        report = run_role(role, args.db, args.cases, seed=args.seed,
                          stateful_share=args.stateful_share, kb=args.kb, excluded=excluded)
        reports.append(report)
        print(format_report(report), flush=True)
        if args.json:
            args.json.write_text(json.dumps([r.as_json() for r in reports], ensure_ascii=False, indent=1))
    total = sum(r.server_error_count for r in reports)
    print(f"== total: {sum(r.cases for r in reports)} cases, {total} server errors, "
          f"{sum(r.seconds for r in reports):.0f} s", flush=True)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
