"""`weibao train` and `weibao heldout` refuse a missing database with one line, creating nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_operator_errors import USAGE, one_line, run


@pytest.mark.parametrize("command", [["train"], ["heldout", "--part", "linking"]], ids=lambda a: a[0])
def test_without_a_database_the_command_says_to_run_init(tmp_path: Path, command: list[str]) -> None:
    data = tmp_path / "data"
    line = one_line(run(command, data), USAGE, command[0])
    assert "weibao init" in line
    assert not data.exists()


def test_heldout_with_a_broken_set_names_it(tmp_path: Path) -> None:
    folder = tmp_path / "eval" / "heldout"
    folder.mkdir(parents=True)
    (folder / "tickets.yaml").write_text("- {title: x, systems: [nope], symptoms: [], priority: P1}\n", encoding="utf-8")
    (folder / "queries.yaml").write_text("[]\n", encoding="utf-8")
    line = one_line(run(["heldout"], tmp_path / "data", WEIBAO_EVAL_DIR=str(tmp_path / "eval")), USAGE, "heldout")
    assert "held-out set" in line and "unknown system" in line


def test_heldout_with_an_unknown_set_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "eval").mkdir()
    line = one_line(run(["heldout", "--set", "nope"], tmp_path / "data",
                        WEIBAO_EVAL_DIR=str(tmp_path / "eval")), USAGE, "heldout")
    assert "--set" in line and "nope" in line


def test_heldout_json_keeps_the_misses_out_unless_asked() -> None:
    from weibao.cli_understanding import _without_misses

    report = {"linking": {"systems/zh": {"f1": 0.8}, "errors": ["a miss"]},
              "search": {"hybrid": {"all": {"hit@3": 0.9}}, "misses": ["another"]}}
    assert _without_misses(report) == {"linking": {"systems/zh": {"f1": 0.8}},
                                       "search": {"hybrid": {"all": {"hit@3": 0.9}}}}
