"""Operator mistakes end in one line on stderr and a documented exit code (see
weibao/cli.py): no traceback, and nothing half-written on disk or in the database.

Most runs fail before the embedding model would load, so they take a second each; the
ingest of malformed front matter needs the model and is marked slow.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from weibao.core import migrate
from weibao.core.db import Database
from weibao.core.settings import REPO_DIR

SEED = REPO_DIR / "data" / "seed_articles"
USAGE, DATABASE, INTERRUPTED = 2, 3, 130


def environment(data_dir: Path, **env: str) -> dict[str, str]:
    return {
        **os.environ, "HF_HUB_OFFLINE": "1", "WEIBAO_DATA_DIR": str(data_dir),
        "WEIBAO_DATABASE_URL": "", **env,
    }


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "weibao.cli", *args], capture_output=True, text=True,
        env=environment(data_dir, **env), timeout=600, stdin=subprocess.DEVNULL,
    )


def one_line(out: subprocess.CompletedProcess[str], code: int, command: str) -> str:
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"weibao {command}: ")
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under the folder and its content hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def migrated(folder: Path) -> Path:
    """A data folder with an empty, up-to-date database (what `init` makes, minus seeds)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = Database(f"sqlite:///{folder / 'weibao.db'}")
    migrate.upgrade(database.engine)
    database.engine.dispose()
    return folder


def count(folder: Path, table: str) -> int:
    with sqlite3.connect(folder / "weibao.db") as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# ---- 1. a damaged SQLite file ---------------------------------------------------------

COMMANDS = [
    ["init"],
    ["serve", "--port", "0"],
    ["ingest", str(SEED / "pacs-001.md")],
    ["search", "打印机"],
    ["sla-check"],
    ["triage", "打印机坏了", "--hospital", "h-hzsy"],
    ["user", "create", "bob", "--role", "admin"],
    ["chat"],
]


@pytest.fixture(scope="module")
def truncated_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The first pages of a real, migrated database: the header is intact, the rest gone."""
    folder = migrated(tmp_path_factory.mktemp("whole"))
    with sqlite3.connect(folder / "weibao.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return (folder / "weibao.db").read_bytes()[:8192]


@pytest.mark.parametrize("damage", ["random", "truncated"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_damaged_database_is_one_line_exit_3_and_left_as_it_was(
    tmp_path: Path, args: list[str], damage: str, truncated_db: bytes
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "weibao.db").write_bytes(os.urandom(40_000) if damage == "random" else truncated_db)
    before = snapshot(data)
    line = one_line(run(args, data), DATABASE, args[0])
    assert "weibao.db is damaged or not a SQLite database" in line
    assert "restore it from a backup" in line
    assert snapshot(data) == before  # no index folder, no -wal file, the file untouched


# ---- 2. a database URL that cannot work -----------------------------------------------

@pytest.mark.parametrize(
    ("url", "needle", "code"),
    [
        ("notaurl", "WEIBAO_DATABASE_URL: not a database URL", USAGE),
        ("foo://x/y", "WEIBAO_DATABASE_URL: unknown database kind 'foo'", USAGE),
        ("postgresql://nohost:99999/x", "WEIBAO_DATABASE_URL: port 99999", USAGE),
        ("postgresql+nosuchdriver://h/x", "WEIBAO_DATABASE_URL: unknown database kind", USAGE),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/x", "check WEIBAO_DATABASE_URL and that the server is running", DATABASE),
    ],
)
@pytest.mark.parametrize("command", [["init"], ["serve", "--port", "0"], ["ingest"]], ids=lambda a: a[0])
def test_a_bad_database_url_is_one_line_and_creates_nothing(
    tmp_path: Path, url: str, needle: str, code: int, command: list[str]
) -> None:
    data = tmp_path / "data"
    line = one_line(run(command, data, WEIBAO_DATABASE_URL=url), code, command[0])
    assert needle in line
    assert "secret" not in line  # the password is not echoed
    assert not data.exists() or not any(data.iterdir())


# ---- 3. settings ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("WEIBAO_CHUNK_CHARS", "5", "greater than or equal to 100"),
        ("WEIBAO_SESSION_HOURS", "abc", "valid number"),
        ("WEIBAO_PII_PATTERNS", "not json", "not valid JSON"),
        ("WEIBAO_PII_PATTERNS", '{"*": ["ZY\\\\d{6}", "(["]}', "'([' is not a valid regex"),
        ("WEIBAO_PII_PATTERNS", '["a"]', "valid dictionary"),
        ("WEIBAO_TOKEN_DAYS", "0", "greater than or equal to 1"),
    ],
)
@pytest.mark.parametrize("command", [["init"], ["link", "打印机"]], ids=lambda a: a[0])
def test_a_bad_setting_names_the_variable(
    tmp_path: Path, variable: str, value: str, needle: str, command: list[str]
) -> None:
    data = tmp_path / "data"
    line = one_line(run(command, data, **{variable: value}), USAGE, command[0])
    assert line.startswith(f"weibao {command[0]}: {variable}: ") and needle in line
    assert not data.exists()


def test_a_data_dir_that_cannot_be_created_names_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    data = tmp_path / "a-file" / "data"
    line = one_line(run(["init"], data), USAGE, "init")
    assert line == f"weibao init: {data}: Not a directory (check WEIBAO_DATA_DIR)"


@pytest.mark.parametrize("variable", ["WEIBAO_SEED_DIR", "WEIBAO_SEED_OPS_DIR"])
def test_init_with_a_missing_seed_folder_refuses_before_creating_anything(tmp_path: Path, variable: str) -> None:
    data = tmp_path / "data"
    line = one_line(run(["init"], data, **{variable: str(tmp_path / "nope")}), USAGE, "init")
    assert line == f"weibao init: {variable}: no such file or folder: {tmp_path / 'nope'}"
    assert not data.exists()


def test_a_missing_model_or_ontology_is_one_line(tmp_path: Path) -> None:
    data = migrated(tmp_path / "data")
    model = one_line(run(["search", "打印机"], data, WEIBAO_EMBED_MODEL=str(tmp_path / "m")), USAGE, "search")
    assert model == f"weibao search: WEIBAO_EMBED_MODEL: no model folder at {tmp_path / 'm'}"
    (tmp_path / "ontology").mkdir()
    (tmp_path / "ontology" / "systems.yaml").write_text("- id: [\n", encoding="utf-8")
    ontology = one_line(run(["search", "打印机"], data, WEIBAO_ONTOLOGY_DIR=str(tmp_path / "ontology")), 4, "search")
    assert "systems.yaml:2: YAML syntax error" in ontology
    assert not (data / "index").exists()


# ---- 5. ingest before init, of nothing, interrupted ---------------------------------------

def test_ingest_before_init_says_to_run_init_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    line = one_line(run(["ingest", str(SEED)], data), USAGE, "ingest")
    assert "run `weibao init`" in line
    assert list(data.iterdir()) == []  # no empty weibao.db, no index folder


def test_ingest_of_a_missing_path_is_one_line(tmp_path: Path) -> None:
    line = one_line(run(["ingest", str(tmp_path / "nope")], tmp_path), USAGE, "ingest")
    assert line == f"weibao ingest: {tmp_path / 'nope'}: no such file or folder"


PAUSE_AT_SECOND_ARTICLE = textwrap.dedent("""
    import sys, time
    import weibao.kb.ingest as ingest
    from weibao.kb.service import KnowledgeBase

    KnowledgeBase.open = lambda self: 0  # no model: the interrupt comes before indexing
    real, calls = ingest.upsert_article, []

    def upsert(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # one article written (flushed) in the open transaction
            print("paused", flush=True)
            time.sleep(120)
        return real(*args, **kwargs)

    ingest.upsert_article = upsert
    from weibao.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_ctrl_c_during_ingest_is_one_line_exit_130_and_rolls_back(tmp_path: Path) -> None:
    data = migrated(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSE_AT_SECOND_ARTICLE, "ingest", str(SEED)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=environment(data),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "paused"
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    stdout, stderr = process.communicate(timeout=60)
    out = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    line = one_line(out, INTERRUPTED, "ingest")
    assert "interrupted" in line
    assert count(data, "articles") == 0 and count(data, "chunks") == 0  # the first one too
    assert not (data / "index").exists()


# ---- 4. malformed front matter ----------------------------------------------------------

MALFORMED = {
    "deep.md": "---\nid: deep-001\nx: " + "[" * 10_000 + "]" * 10_000 + "\n---\nbody\n",
    "deep-map.md": "---\n" + "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + "---\nbody\n",
    "tabs.md": "---\nid: tabs-001\n\ttitle: x\n---\nbody\n",
    "nul.md": "---\nid: nul-001\ntitle: \x00\x01\n---\nbody\n",
    "list.md": "---\n- id\n- title\n---\nbody\n",
    "bad-date.md": "---\nid: date-001\ntitle: t\nupdated: 2026-13-45\n---\nbody\n",
    "python-tag.md": "---\nid: !!python/object/apply:os.system [echo]\n---\nbody\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_front_matter_is_an_article_format_error(name: str) -> None:
    from weibao.kb.documents import ArticleFormatError, parse_article_text

    with pytest.raises(ArticleFormatError) as info:
        parse_article_text(MALFORMED[name], name)
    assert info.value.field == "front matter"
    assert "\n" not in str(info.value) and str(info.value).startswith(f"{name}: field 'front matter': ")


def test_binary_and_unreadable_files_are_article_format_errors(tmp_path: Path) -> None:
    from weibao.kb.documents import ArticleFormatError, parse_article_file

    (tmp_path / "image.md").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(ArticleFormatError, match="image.md: field 'encoding'"):
        parse_article_file(tmp_path / "image.md")
    with pytest.raises(ArticleFormatError, match="folder.md: field 'file': cannot read"):
        parse_article_file(tmp_path / "folder.md")


@pytest.mark.slow
def test_ingest_rejects_each_malformed_file_in_one_line_and_loads_the_rest(
    tmp_path: Path, seeded_dir: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    articles = count(data, "articles")
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, text in MALFORMED.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.md").write_bytes(bytes(range(256)) * 4)
    good = (SEED / "pacs-001.md").read_text(encoding="utf-8").replace("id: pacs-001", "id: pacs-902")
    (folder / "pacs-902.md").write_text(good, encoding="utf-8")

    out = run(["ingest", str(folder)], data)

    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    rejected = {line.split(": ", 2)[1] for line in lines}
    assert all(line.startswith("rejected: ") for line in lines), lines
    assert rejected == {str(folder / n) for n in [*MALFORMED, "binary.md"]}
    assert "added 1, updated 0" in out.stdout
    assert count(data, "articles") == articles + 1
    index = data / "index"
    assert (index / (index / "CURRENT").read_text().strip()).is_dir()
    assert not [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
