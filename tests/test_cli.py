"""The `weibao` command as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "WEIBAO_DATA_DIR": str(data_dir), "WEIBAO_DATABASE_URL": "", **env}
    return subprocess.run(
        [sys.executable, "-m", "weibao.cli", *args],
        capture_output=True, text=True, env=environ, timeout=600,
    )


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path) -> Path:
    """A copy of the folder that the session's first `initialise_all` filled."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    shutil.copytree(seeded_dir, data_dir)
    return data_dir


def test_init_on_an_initialised_folder_adds_nothing_and_trains_only_a_missing_model(
    tmp_path: Path, seeded_dir: Path
) -> None:
    from weibao.graph.classifier import model_path

    data_dir = tmp_path / "data"
    shutil.copytree(seeded_dir, data_dir)
    again = run(["init", "--no-train"], data_dir)
    assert again.returncode == 0, again.stderr
    assert "added 0, updated 0" in again.stdout
    assert "resolved tickets +0" in again.stdout
    assert not model_path(data_dir).exists() and "trained on" not in again.stdout
    trained = run(["init"], data_dir)
    assert trained.returncode == 0, trained.stderr
    assert "trained on" in trained.stdout and model_path(data_dir).is_file()


def test_triage_dry_run_prints_the_documented_json_and_stores_nothing(initialised: Path) -> None:
    out = run(["triage", "急诊预检分诊系统打不开了", "--hospital", "h-fsnh",
               "--at", "2026-11-26T23:30:00+08:00", "--json"], initialised)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert "id" not in body and body["priority"] == "P1"
    assert {"system", "symptom", "department", "priority", "evidence"} <= body["triage"].keys()
    assert body["sla"]["response_due"] == "2026-11-27T00:30:00+08:00"
    assert body["candidates"] and "factors" in body["candidates"][0]
    check = run(["sla-check"], initialised)
    assert check.returncode == 0 and "SLA state changes" in check.stdout


def test_link_prints_the_linked_entities(initialised: Path) -> None:
    out = run(["link", "不是打印的问题，放射科电脑上看不了片子", "--json"], initialised)
    body = json.loads(out.stdout)
    assert [s["id"] for s in body["systems"]] == ["pacs"]
    assert "print_failure" not in [s["id"] for s in body["symptoms"]]


def test_search_json_returns_ranked_results(initialised: Path) -> None:
    out = run(["search", "HL7 messages stuck in the integration engine", "--json", "--top-k", "3"], initialised)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["results"][0]["id"] == "integration-001" and len(body["results"]) == 3


def test_search_text_output_with_system_filter(initialised: Path) -> None:
    out = run(["search", "打印不出来", "--system", "lis"], initialised)
    assert out.returncode == 0 and "lis-" in out.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["search", "   "], "QUERY"),
        (["search", "x", "--top-k", "0"], "--top-k"),
        (["search", "x", "--system", "mri"], "valid: "),
        (["ingest", "/no/such/folder"], "no such file"),
        (["triage", "打印机坏了", "--hospital", "h-nope"], "hospital_id"),
        (["triage", "打印机坏了", "--hospital", "h-hzsy", "--at", "yesterday"], "--at"),
        (["link", "  "], "TEXT"),
    ],
)
def test_bad_input_exits_2_with_one_line(initialised: Path, args: list[str], needle: str) -> None:
    out = run(args, initialised)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_ingest_of_a_folder_with_a_bad_file_loads_the_rest(initialised: Path, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    seed = Path(__file__).resolve().parents[1] / "data" / "seed_articles" / "pacs-001.md"
    text = seed.read_text(encoding="utf-8").replace("id: pacs-001", "id: pacs-901")
    (folder / "pacs-901.md").write_text(text, encoding="utf-8")
    (folder / "bad.md").write_text("no front matter here\n", encoding="utf-8")
    out = run(["ingest", str(folder)], initialised)
    assert out.returncode == 1
    assert "bad.md: field 'front matter'" in out.stderr
    assert "added 1" in out.stdout
    shutil.rmtree(folder)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--routing", "--window", "0.5", "0.4"], "weibao eval: window: need 0 <= start < end <= 1, got 0.5 0.4"),
        (["eval", "--window", "0.1", "0.2"], "weibao eval: --window: only with --routing"),
    ],
)
def test_a_bad_routing_window_is_one_line_and_exit_2(initialised: Path, args: list[str], message: str) -> None:
    out = run(args, initialised)
    assert out.returncode == 2 and out.stderr.strip() == message


def test_serve_before_init_or_migration_says_to_run_init(tmp_path: Path) -> None:
    missing = run(["serve", "--port", "0"], tmp_path / "no-such-folder")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "weibao serve: cannot open the database (unable to open database file): run `weibao init` first"
    )
    (tmp_path / "empty").mkdir()
    empty = run(["serve", "--port", "0"], tmp_path / "empty")
    assert empty.returncode == 2
    assert empty.stderr.strip() == (
        f"weibao serve: database schema is at revision none, this version needs {_head()}: "
        "run `weibao init` (it migrates and keeps the data)"
    )
    assert list((tmp_path / "empty").iterdir()) == []  # refused without creating weibao.db


def _head() -> str | None:
    from alembic.script import ScriptDirectory

    from weibao.core.db import Database
    from weibao.core.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(Database("sqlite://").engine)).get_current_head()
