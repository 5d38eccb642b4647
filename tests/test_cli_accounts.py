"""`weibao user create --engineer` and `weibao user link`: an account linked to an
engineer profile in the same transaction, or one line and nothing stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_cli_operator_errors import USAGE, migrated, one_line, run
from weibao.core.db import Database, session_scope
from weibao.routing.models import Engineer


def _folder_with_engineers(tmp_path: Path) -> Path:
    folder = migrated(tmp_path / "data")
    database = Database(f"sqlite:///{folder / 'weibao.db'}")
    with session_scope(database.sessions) as session:
        for engineer_id, name in (("eng-li", "李工"), ("eng-wu", "吴工")):
            session.add(Engineer(id=engineer_id, name=name, tier="L2", systems={"his": 4}))
    database.engine.dispose()
    return folder


def _links(folder: Path) -> dict[str, str | None]:
    with sqlite3.connect(folder / "weibao.db") as conn:
        rows = conn.execute(
            "SELECT e.id, u.username FROM engineers e LEFT JOIN users u ON u.id = e.user_id"
        ).fetchall()
    return dict(rows)


def _users(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "weibao.db") as conn:
        return [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]


def test_create_with_engineer_links_the_new_account(tmp_path: Path) -> None:
    folder = _folder_with_engineers(tmp_path)
    out = run(["user", "create", "li.gong", "--role", "engineer", "--engineer", "eng-li"], folder)
    assert out.returncode == 0, out.stderr
    assert "linked user li.gong to engineer eng-li" in out.stdout
    assert _links(folder) == {"eng-li": "li.gong", "eng-wu": None}


def test_link_an_existing_account_and_move_it_is_refused(tmp_path: Path) -> None:
    folder = _folder_with_engineers(tmp_path)
    assert run(["user", "create", "wu.gong", "--role", "engineer"], folder).returncode == 0
    out = run(["user", "link", "wu.gong", "--engineer", "eng-wu"], folder)
    assert out.returncode == 0, out.stderr
    assert _links(folder)["eng-wu"] == "wu.gong"
    # One profile per account: linking the same account to a second profile is refused.
    line = one_line(run(["user", "link", "wu.gong", "--engineer", "eng-li"], folder), USAGE, "user")
    assert "already linked to eng-wu" in line
    assert _links(folder) == {"eng-li": None, "eng-wu": "wu.gong"}


def test_refusals_store_nothing(tmp_path: Path) -> None:
    folder = _folder_with_engineers(tmp_path)
    line = one_line(
        run(["user", "create", "ghost", "--role", "engineer", "--engineer", "eng-none"], folder),
        USAGE, "user",
    )
    assert "--engineer" in line and "eng-none" in line
    # A clinician cannot carry an engineer profile; the account is not created either.
    assert run(["hospital", "create", "h-x", "--name", "某医院"], folder).returncode == 0
    line = one_line(
        run(["user", "create", "dr.x", "--role", "clinician", "--hospital", "h-x",
             "--engineer", "eng-li"], folder),
        USAGE, "user",
    )
    assert "clinician account cannot be an engineer" in line
    assert _users(folder) == []
    line = one_line(run(["user", "link", "nobody", "--engineer", "eng-li"], folder), USAGE, "user")
    assert "nobody" in line
    assert _links(folder) == {"eng-li": None, "eng-wu": None}
