"""The `weibao` command as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import re
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
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    first = run(["init"], data_dir)
    assert first.returncode == 0, first.stderr
    added = re.search(r"added (\d+)", first.stdout)
    assert added and int(added.group(1)) >= 90, first.stdout
    return data_dir


def test_init_twice_adds_nothing_the_second_time(initialised: Path) -> None:
    again = run(["init"], initialised)
    assert again.returncode == 0, again.stderr
    assert "added 0, updated 0" in again.stdout


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
