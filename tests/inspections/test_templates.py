"""The inspection templates in data/inspections, and how a bad template file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from weibao.core.settings import REPO_DIR
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.inspections.templates import Limits, TemplateError, load_templates

FOLDER = REPO_DIR / "data" / "inspections"
GOOD_ITEM = """  - id: x-disk
    system: infrastructure
    symptom: storage_alarm
    check: 磁盘使用率
    method: df -h
    reading: {type: number, unit: "%"}
    thresholds: {pass: 低于 80%, warn: 80%-90%, fail: 超过 90%}
    limits: {direction: above, warn: 80, fail: 90}
    severity: critical
"""


def _write(tmp_path: Path, items: str, name: str = "t.yaml", template_id: str = "t") -> Path:
    (tmp_path / name).write_text(f"id: {template_id}\nname: 测试\nname_en: Test\nsystem: infrastructure\nitems:\n{items}",
                                 encoding="utf-8")
    return tmp_path


def test_the_shipped_templates_cover_the_families_with_taxonomy_ids() -> None:
    templates = load_templates(FOLDER)
    assert len(templates.all()) >= 12
    families = {t.system for t in templates.all()}
    assert {"his", "emr", "lis", "pacs", "insurance", "integration", "infrastructure"} <= families
    for template in templates.all():
        for item in template.items:
            assert item.system in SYSTEMS and item.symptom in SYMPTOMS
            assert item.check and item.method and set(item.thresholds) == {"pass", "warn", "fail"}
            assert item.reading_type != "number" or item.unit
    names = {t.name for t in templates.all()}
    assert "数据库性能巡检" in names and "证书与授权巡检" in names


def test_numeric_limits_judge_both_directions() -> None:
    above, below = Limits("above", 80, 90), Limits("below", 60, 30)
    assert [above.judge(v) for v in (79.9, 80, 89, 90, 99)] == ["pass", "warn", "warn", "fail", "fail"]
    assert [below.judge(v) for v in (90, 60, 31, 30, 5)] == ["pass", "warn", "warn", "fail", "fail"]


def test_readings_are_checked_against_the_item_type() -> None:
    item = load_templates(FOLDER).get("database-routine").item("db-tablespace")  # type: ignore[union-attr]
    assert item is not None and item.check_reading(91.5) is None and item.check_reading(None) is None
    assert item.check_reading("91%") and item.check_reading(True) and item.check_reading(float("nan"))
    assert item.suggested(91.5) == "fail" and item.suggested(85) == "warn" and item.suggested(10) == "pass"


@pytest.mark.parametrize(("change", "message"), [
    (("system: infrastructure\n    symptom", "system: mainframe\n    symptom"), "system 'mainframe'"),
    (("symptom: storage_alarm", "symptom: sad"), "symptom 'sad'"),
    (("severity: critical", "severity: apocalyptic"), "severity"),
    (("{type: number, unit: \"%\"}", "{type: colour}"), "reading.type"),
    (("    limits: {direction: above, warn: 80, fail: 90}\n", "    limits: {direction: above, warn: 90, fail: 80}\n"),
     "fail limit"),
    (("thresholds: {pass: 低于 80%, warn: 80%-90%, fail: 超过 90%}", "thresholds: {pass: ok}"), "thresholds"),
])
def test_a_bad_item_is_refused_naming_file_and_item(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    _write(tmp_path, GOOD_ITEM.replace(*change))
    with pytest.raises(TemplateError) as refused:
        load_templates(tmp_path)
    assert "t.yaml" in str(refused.value) and "x-disk" in str(refused.value) and message in str(refused.value)


def test_ids_are_unique_across_files(tmp_path: Path) -> None:
    _write(tmp_path, GOOD_ITEM)
    _write(tmp_path, GOOD_ITEM, name="u.yaml", template_id="u")
    with pytest.raises(TemplateError, match="x-disk is also in t.yaml"):
        load_templates(tmp_path)
    (tmp_path / "u.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="u.yaml: not valid YAML"):
        load_templates(tmp_path)
