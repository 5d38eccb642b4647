import shutil
from pathlib import Path

import pytest

from weibao.graph.ontology import DEFAULT_DIRECTORY, OntologyError, load_ontology, normalize
from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS


@pytest.fixture
def onto_dir(tmp_path: Path) -> Path:
    target = tmp_path / "ontology"
    shutil.copytree(DEFAULT_DIRECTORY, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_default_ontology_covers_every_taxonomy_id(ontology):
    assert set(ontology.systems) == set(SYSTEMS)
    assert set(ontology.symptoms) == set(SYMPTOMS)
    assert set(ontology.departments) == set(DEPARTMENTS)
    assert {"hl7", "fhir", "dicom", "oracle", "printer", "pda", "vpn"} <= set(ontology.terms)


def test_alias_table_maps_colloquial_words_to_ids(ontology):
    table = ontology.alias_table()
    assert ("systems", "pacs") in table["片子"]
    assert ("symptoms", "slow") in table["转圈圈"]
    assert ("systems", "pacs") in table["pacs"]  # normalized: lower-case


def test_no_alias_is_a_single_latin_letter_or_a_bare_generic_word(ontology):
    for key in ontology.alias_table():
        assert not (len(key) == 1 and key.isascii()), key
        assert key not in {"or", "系统", "is", "it", "the"}, key


def test_all_words_are_chinese_and_usable_in_a_jieba_dictionary(ontology):
    words = ontology.all_words()
    assert "片子" in words and "转圈圈" in words
    assert all(" " not in w and len(w) > 1 for w in words)


def test_normalize_folds_full_width_and_case_keeping_length():
    assert normalize("ＰＡＣＳ　卡顿") == "pacs 卡顿"
    assert len(normalize("ＨＩＳ（门诊）")) == len("ＨＩＳ（门诊）")


def test_yaml_syntax_error_names_file_and_line(onto_dir):
    path = onto_dir / "symptoms.yaml"
    _replace(path, "- id: outage", "- id: outage\n  zh: [unclosed")
    broken = _line_of(path, "[unclosed")
    with pytest.raises(OntologyError) as err:
        load_ontology(onto_dir)
    message = str(err.value)
    assert "YAML syntax error" in message
    reported = int(message.split("symptoms.yaml:")[1].split(":")[0])
    # yaml reports where it noticed the problem: the broken line or the one after it.
    assert reported in (broken, broken + 1)


def test_missing_zh_names_file_and_line(onto_dir):
    path = onto_dir / "systems.yaml"
    line = _line_of(path, "- id: emr")
    _replace(path, "  zh: 电子病历\n", "")
    with pytest.raises(OntologyError, match=rf"systems\.yaml:{line}: entry is missing 'zh'"):
        load_ontology(onto_dir)


def test_unknown_system_id_names_file_and_line(onto_dir):
    path = onto_dir / "systems.yaml"
    line = _line_of(path, "- id: emr")
    _replace(path, "- id: emr", "- id: emrr")
    with pytest.raises(OntologyError, match=rf"systems\.yaml:{line}: unknown systems id 'emrr'"):
        load_ontology(onto_dir)


def test_duplicate_id_names_both_lines(onto_dir):
    path = onto_dir / "departments.yaml"
    first = _line_of(path, "- id: finance")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\n- id: finance\n  zh: 财务\n  en: finance\n  aliases: []\n", encoding="utf-8"
    )
    last = len(path.read_text(encoding="utf-8").splitlines()) - 3
    with pytest.raises(OntologyError) as err:
        load_ontology(onto_dir)
    message = str(err.value)
    assert f"departments.yaml:{last}: duplicate id 'finance'" in message
    assert f"line {first}" in message


def test_non_list_aliases_names_file_and_line(onto_dir):
    path = onto_dir / "terms.yaml"
    _replace(
        path,
        "- id: vpn\n  zh: VPN\n  en: VPN\n  aliases: [",
        "- id: vpn\n  zh: VPN\n  en: VPN\n  aliases: VPN\n  typos: [",
    )
    line = _line_of(path, "aliases: VPN")
    with pytest.raises(
        OntologyError, match=rf"terms\.yaml:{line}: 'aliases' of 'vpn' must be a list"
    ):
        load_ontology(onto_dir)


def test_missing_taxonomy_id_is_reported(onto_dir):
    path = onto_dir / "departments.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: information_dept")
    path.write_text(text[:start], encoding="utf-8")
    with pytest.raises(
        OntologyError, match=r"departments\.yaml:\d+: missing departments ids: information_dept"
    ):
        load_ontology(onto_dir)


def test_implies_unknown_system_is_reported(onto_dir):
    path = onto_dir / "departments.yaml"
    _replace(path, "implies: [pacs]", "implies: [pacsx]")
    with pytest.raises(OntologyError, match=r"departments\.yaml:\d+: .*unknown system 'pacsx'"):
        load_ontology(onto_dir)


def test_missing_file_is_reported(onto_dir):
    (onto_dir / "terms.yaml").unlink()
    with pytest.raises(OntologyError, match="terms"):
        load_ontology(onto_dir)
