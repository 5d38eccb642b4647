"""Abuse limits per principal, counted in the database so that every worker shares them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from tests.conftest import make_settings
from tests.web.security.conftest import Env, FakeKB, add_password_user, build_env, sign_in
from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.core.rate_counters import RateCounter
from weibao.routing.desk import TicketDesk
from weibao.web.app import create_app
from weibao.web.security.ratelimit import DatabaseRateLimiter

pytestmark = pytest.mark.pg_crowd

# 15 s into a minute: tests pin the limiter's clock so no run straddles a window boundary.
MINUTE = 1_800_000_000 // 60 * 60
T0 = MINUTE + 15


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pin_clock(app: FastAPI, now: float = T0) -> Clock:
    clock = Clock(now)
    app.state.rate_limiter.clock = clock
    return clock


def search(client: TestClient) -> int:
    return client.get("/api/search", params={"q": "打印机"}).status_code


def counters(env: Env) -> dict[str, int]:
    with env.database.session() as session:
        return {r.key: r.count for r in session.scalars(select(RateCounter))}


def test_clinicians_behind_one_address_each_get_their_own_limit(
    database_url: str, tmp_path: Path
) -> None:
    env = build_env(tmp_path, database_url, search_rate_per_minute=3)
    pin_clock(env.app)
    nurse, colleague = env.client("clinician"), env.client("hospital_it")  # same hospital, same IP
    assert [search(nurse) for _ in range(4)] == [200, 200, 200, 429]
    assert [search(colleague) for _ in range(4)] == [200, 200, 200, 429]
    assert counters(env) == {
        f"search:user:{env.user_ids['clinician']}": 3,
        f"search:user:{env.user_ids['hospital_it']}": 3,
    }  # no ip: bucket for signed-in callers
    assert search(env.client()) == 200  # the shared address itself is not used up


def test_a_user_counts_once_whether_by_session_or_by_token(
    database_url: str, tmp_path: Path
) -> None:
    env = build_env(tmp_path, database_url, search_rate_per_minute=2)
    pin_clock(env.app)
    uid = add_password_user(env, "eng")
    with session_scope(env.database.sessions) as session:
        user = accounts.get_user(session=session, user_id=uid)
        _, secret = accounts.create_token(session=session, user=user, name="script")  # type: ignore[arg-type]
    browser = env.client()
    sign_in(browser, "eng")
    script = env.client()
    script.headers["Authorization"] = f"Bearer {secret}"
    assert search(browser) == 200 and search(script) == 200
    assert search(browser) == 429 and search(script) == 429
    assert {k: v for k, v in counters(env).items() if k.startswith("search:")} == {
        f"search:user:{uid}": 2
    }


def test_anonymous_callers_are_limited_per_address(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url, search_rate_per_minute=2)
    pin_clock(env.app)
    one = env.client(client=("10.0.0.1", 5000))
    same = env.client(client=("10.0.0.1", 5001))
    other = env.client(client=("10.0.0.2", 5000))
    assert [search(one), search(same), search(one)] == [200, 200, 429]
    assert [search(other), search(other), search(other)] == [200, 200, 429]
    assert set(counters(env)) == {"search:ip:10.0.0.1", "search:ip:10.0.0.2"}


def test_retry_after_is_when_the_next_search_is_admitted(
    database_url: str, tmp_path: Path
) -> None:
    env = build_env(tmp_path, database_url, search_rate_per_minute=3)
    clock = pin_clock(env.app)
    client = env.client("clinician")
    assert [search(client) for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/search", params={"q": "打印机"})
    assert refused.status_code == 429
    # 45 s to the end of this minute, then 20 s until a third of the 3 hits has slid out.
    assert refused.headers["retry-after"] == "65"
    assert refused.json() == {"detail": "too many searches; try again in 65 s"}
    clock.now = T0 + 64
    assert search(client) == 429
    clock.now = T0 + 65
    assert search(client) == 200


def test_the_search_page_says_so_in_the_ui_language(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url, search_rate_per_minute=1)
    pin_clock(env.app)
    client = env.client("clinician")
    assert client.get("/").status_code == 200  # the bare page asks nothing: not counted
    assert client.get("/", params={"q": "打印机"}).status_code == 200
    zh = client.get("/", params={"q": "打印机"})
    assert zh.status_code == 429 and int(zh.headers["retry-after"]) >= 1
    assert "搜索过于频繁" in zh.text and "秒后再试" in zh.text
    en = client.get("/", params={"q": "printer", "lang": "en"})
    assert en.status_code == 429
    assert f"Too many searches; please try again in {en.headers['retry-after']} s." in en.text
    assert client.get("/").status_code == 200


def test_the_limit_setting_accepts_ten_thousand(tmp_path: Path) -> None:
    assert make_settings(tmp_path, search_rate_per_minute=10_000).search_rate_per_minute == 10_000
    assert make_settings(tmp_path, chat_rate_per_minute=100_000).chat_rate_per_minute == 100_000
    with pytest.raises(ValidationError):
        make_settings(tmp_path, search_rate_per_minute=100_001)


def test_chat_is_limited_per_user_not_per_address(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url, chat_rate_per_minute=2)
    pin_clock(env.app)

    def chat(who: str) -> int:
        return env.client(who).post("/api/chat", json={"message": "打印机坏了"}).status_code

    assert [chat("clinician"), chat("clinician")] == [200, 200]
    refused = env.client("clinician").post("/api/chat", json={"message": "打印机坏了"})
    assert refused.status_code == 429 and refused.headers["retry-after"].isdigit()
    assert "chat" in refused.json()["detail"]
    assert chat("clinician_b") == 200  # another hospital's user on the same address
    assert chat("hospital_it") == 200


def test_the_previous_minute_still_counts_at_the_boundary(
    database_url: str, tmp_path: Path
) -> None:
    """No 2x burst across a window boundary: the previous window weighs in by its overlap."""
    env = build_env(tmp_path, database_url)
    clock = Clock(MINUTE + 54)
    limiter = DatabaseRateLimiter(env.database.engine, clock=clock)
    assert all(limiter.hit("k", 10) is None for _ in range(10))
    clock.now = MINUTE + 60 + 6  # 10 % into the next minute: 90 % of the 10 still count
    admitted = sum(limiter.hit("k", 10) is None for _ in range(10))
    assert admitted == 1
    clock.now = MINUTE + 60 + 30  # half-way: 5 of the previous 10 count, 1 new one
    assert sum(limiter.hit("k", 10) is None for _ in range(10)) == 4
    assert limiter.fallbacks == 0


def test_old_windows_are_pruned(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url)
    clock = Clock(MINUTE)
    limiter = DatabaseRateLimiter(env.database.engine, clock=clock, prune_probability=0.0)
    limiter.hit("old", 5)
    clock.now = MINUTE + 60
    limiter.hit("previous", 5)
    limiter.prune_probability = 1.0
    clock.now = MINUTE + 180
    limiter.hit("new", 5)
    with env.database.session() as session:
        left = {(r.key, r.window) for r in session.scalars(select(RateCounter))}
    now_window = (MINUTE + 180) // 60
    assert left == {("previous", now_window - 2), ("new", now_window)}


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_two_app_instances_share_one_limit(database_url: str, tmp_path: Path) -> None:
    """Two workers = two apps with their own engines over one database: one budget."""
    env = build_env(tmp_path, database_url, search_rate_per_minute=10)
    database = Database(database_url)  # a pool of its own, like another process
    kb = FakeKB()
    other = create_app(
        env.app.state.settings, kb=kb, database=database,  # type: ignore[arg-type]
        desk=TicketDesk(kb, database.sessions),  # type: ignore[arg-type]
    )
    assert other.state.rate_limiter is not env.app.state.rate_limiter
    pin_clock(env.app)
    pin_clock(other)
    token = {"Authorization": f"Bearer {env.tokens['clinician']}"}
    first = TestClient(env.app, headers=token)
    second = TestClient(other, headers=token)
    codes = [search(first if i % 2 else second) for i in range(10)]
    assert codes == [200] * 10
    assert search(first) == 429 and search(second) == 429
    assert other.state.rate_limiter.fallbacks == env.app.state.rate_limiter.fallbacks == 0
    database.engine.dispose()


@pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_concurrent_hits_never_admit_more_than_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    """4 threads x 20 hits on one key, limit 50: exactly 50 admitted."""
    databases = [Database(database_url) for _ in range(2)]  # two workers' pools
    limiters = [DatabaseRateLimiter(d.engine, clock=Clock()) for d in databases]
    start = threading.Barrier(4)
    admitted: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        limiter = limiters[n % 2]
        start.wait()
        ok = sum(limiter.hit("search:user:1", 50) is None for _ in range(20))
        with lock:
            admitted.append(ok)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 50
    assert all(limiter.fallbacks == 0 for limiter in limiters)
    with databases[0].session() as session:
        assert session.scalars(select(RateCounter.count)).all() == [50]
    for database in databases:
        database.engine.dispose()
