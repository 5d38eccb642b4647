"""The learned systems/symptoms classifier and its ensemble with the dictionary linker."""

from __future__ import annotations

from pathlib import Path

import pytest

from weibao.graph.classifier import ModelFileError, Sample, clean, load_model, model_path, train
from weibao.graph.ensemble import EnsembleLinker, merge
from weibao.graph.linking import EntityLinker
from weibao.graph.ontology import load_ontology

# Phrasing the aliases do not hold, so that only the model can read it.
EXTRA = [
    Sample("zorblax spits nothing", ("pacs",), ("print_failure",), "test"),
    Sample("the zorblax gives blank sheets", ("pacs",), ("print_failure",), "test"),
    Sample("zorblax 吐不出东西", ("pacs",), ("print_failure",), "test"),
    Sample("zorblax 又不出了", ("pacs",), ("print_failure",), "test"),
    Sample("[病历号]病人的病历签不了名", ("emr",), ("cert_license",), "test"),
]


@pytest.fixture(scope="module")
def ontology():  # type: ignore[no-untyped-def]
    return load_ontology()


@pytest.fixture(scope="module")
def model(ontology):  # type: ignore[no-untyped-def]
    samples = []
    for kind in ("systems", "symptoms"):
        for entry in ontology.entries(kind).values():
            for word in {entry.zh, entry.en, *entry.aliases}:
                labels = (entry.id,)
                samples.append(Sample(word, labels if kind == "systems" else (), labels if kind == "symptoms" else ()))
    fitted, report = train([*samples, *EXTRA * 3])
    assert report.samples == {"systems": len(samples) + 15, "symptoms": len(samples) + 15}
    return fitted


def test_masked_placeholders_are_blanked_and_never_features(model) -> None:  # type: ignore[no-untyped-def]
    assert "病历号" not in clean("[病历号]的病人") and "姓名" not in clean("患者[姓名]")
    chars = model.vectorizer.transformer_list[0][1].vocabulary_
    assert not any("病历号" in gram or "[" in gram for gram in chars)
    assert model.predict("[病历号]") == model.predict("")


def test_probabilities_cover_every_label_and_read_unseen_phrasing(model) -> None:  # type: ignore[no-untyped-def]
    probs = model.predict("zorblax 吐不出来")
    assert len(probs["systems"]) == 15 and len(probs["symptoms"]) == 15
    assert max(probs["systems"], key=probs["systems"].__getitem__) == "pacs"
    assert all(0.0 <= p <= 1.0 for kind in probs.values() for p in kind.values())


def test_the_fast_features_equal_the_fitted_vectoriser(model) -> None:  # type: ignore[no-untyped-def]
    text = "The EMR takes minutes to open 病历打不开 3床"
    expected = model.vectorizer.transform([clean(text)]).toarray()[0]
    index, values = model.features(text)
    got = expected * 0
    got[index] = values
    assert abs(got - expected).max() < 1e-6


def test_saved_model_loads_back_and_a_foreign_file_says_so(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = model_path(tmp_path)
    size = model.save(path)
    assert size == path.stat().st_size > 0
    assert load_model(path).predict("HIS很卡") == model.predict("HIS很卡")  # type: ignore[union-attr]
    assert load_model(tmp_path / "none.pkl") is None
    (tmp_path / "bad.pkl").write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="bad.pkl"):
        load_model(tmp_path / "bad.pkl")


def test_training_without_a_label_names_it() -> None:
    with pytest.raises(ValueError, match="no training sample for"):
        train([Sample("HIS很卡", ("his",), ("slow",))])


def test_ensemble_keeps_dictionary_hits_and_adds_the_models_labels(ontology, model) -> None:  # type: ignore[no-untyped-def]
    linker = EnsembleLinker(ontology, model=model)
    plain = EntityLinker(ontology).link("zorblax 吐不出来")
    assert plain.ids("systems") == []
    result = linker.link("zorblax 吐不出来")
    added = result.systems[0]
    assert added.id == "pacs" and added.source == "model" and added.span == (0, 0)
    assert added.probability is not None and added.confidence == added.probability
    exact = linker.link("HIS很卡").systems[0]
    assert exact.id == "his" and exact.source == "dictionary" and exact.text == "HIS"
    assert exact.confidence >= EntityLinker(ontology).link("HIS很卡").systems[0].confidence
    assert result.to_dict()["systems"][0]["source"] == "model"


def test_ensemble_never_brings_back_what_the_text_denies(ontology) -> None:  # type: ignore[no-untyped-def]
    linked = EntityLinker(ontology).link("不是PACS的问题，HIS登录不了")
    assert ("systems", "pacs") in linked.negated
    # Even a model sure of PACS (it reads words, not negation) cannot add it back.
    result = merge(linked, {"systems": {"pacs": 0.99, "his": 0.9}, "symptoms": {}}, ontology)
    assert result.ids("systems") == ["his"]


def test_beside_a_dictionary_hit_a_model_label_joins_by_the_fitted_decision(ontology) -> None:  # type: ignore[no-untyped-def]
    linked = EntityLinker(ontology).link("HIS很卡")
    unsure = merge(linked, {"systems": {"his": 0.9, "infrastructure": 0.1}, "symptoms": {"slow": 0.9}}, ontology)
    assert unsure.ids("systems") == ["his"]
    likely = merge(linked, {"systems": {"his": 0.9, "infrastructure": 0.7}, "symptoms": {"slow": 0.9}}, ontology)
    assert likely.ids("systems") == ["his", "infrastructure"]
    sure = merge(linked, {"systems": {"his": 0.9, "infrastructure": 0.95}, "symptoms": {}}, ontology)
    assert sure.ids("systems") == ["his", "infrastructure"]  # the dictionary's hit first: 1-(1-c)(1-p)
    assert sure.systems[0].confidence > sure.systems[1].confidence
    assert sure.systems[1].source == "model"


def test_the_second_label_decision_reads_probability_dictionary_and_denial(ontology) -> None:  # type: ignore[no-untyped-def]
    from weibao.graph.ensemble import (
        SECONDARY_FEATURES,
        SECONDARY_WEIGHTS,
        secondary_candidates,
        secondary_score,
    )

    for weights in SECONDARY_WEIGHTS.values():
        assert weights is not None and len(weights[0]) == len(SECONDARY_FEATURES)
    linked = EntityLinker(ontology).link("药房系统的打印机打不出标签，HIS也很卡")
    assert {"pharmacy", "his", "terminal"} <= set(linked.ids("systems"))
    probs = {"pharmacy": 0.9, "terminal": 0.3, "his": 0.3, "lis": 0.3, "emr": 0.01}
    candidates = {label: (m, f) for label, m, f in secondary_candidates(linked, probs, "systems", "pharmacy", "zh")}
    assert "pharmacy" not in candidates and "emr" not in candidates  # the first; below the floor
    # The same probability weighs more with the dictionary's word for it than without.
    assert candidates["his"][0] is not None and candidates["lis"][0] is None
    assert secondary_score("systems", candidates["his"][1]) > secondary_score("systems", candidates["lis"][1])
    # More probable, surer.
    low = secondary_candidates(linked, {**probs, "lis": 0.1}, "systems", "pharmacy", "zh")
    high = secondary_candidates(linked, {**probs, "lis": 0.8}, "systems", "pharmacy", "zh")
    score = {p: secondary_score("systems", f) for p, run in (("low", low), ("high", high))
             for label, _, f in run if label == "lis"}
    assert score["high"] > score["low"]
    # A denied label is no candidate, however probable; without a first label, no second.
    denied = EntityLinker(ontology).link("不是PACS的问题，HIS登录不了")
    assert "pacs" not in {label for label, _, _ in secondary_candidates(
        denied, {"his": 0.9, "pacs": 0.99}, "systems", "his", "zh")}
    assert merge(EntityLinker(ontology).link("帮忙看一下"), {"systems": {"lis": 0.1, "his": 0.1},
                                                       "symptoms": {}}, ontology).ids("systems") == []


def test_a_second_label_needs_its_own_evidence(ontology) -> None:  # type: ignore[no-untyped-def]
    # 医嘱 (a short word, 0.7) beside a system named outright: a side remark unless the
    # model backs it; the first label always stays.
    linked = EntityLinker(ontology).link("包药机处方下发失败，医嘱没包出来")
    assert linked.ids("systems")[:1] == ["pharmacy"] and "his" in linked.ids("systems")
    unbacked = merge(linked, {"systems": {"pharmacy": 0.9, "his": 0.02}, "symptoms": {}}, ontology)
    assert unbacked.ids("systems") == ["pharmacy"]
    backed = merge(linked, {"systems": {"pharmacy": 0.9, "his": 0.5}, "symptoms": {}}, ontology)
    assert backed.ids("systems") == ["pharmacy", "his"]
    alone = merge(EntityLinker(ontology).link("医嘱打不开"), {"systems": {"his": 0.01}, "symptoms": {}}, ontology)
    assert alone.ids("systems") == ["his"]


def test_without_a_model_the_ensemble_is_the_dictionary(ontology) -> None:  # type: ignore[no-untyped-def]
    text = "急诊挂号很慢，不是网络的问题"
    assert EnsembleLinker(ontology).link(text).to_dict() == EntityLinker(ontology).link(text).to_dict()


def test_english_word_features_are_stems_and_pairs() -> None:
    from weibao.graph.classifier import english_words

    assert english_words("printing failed") == ["print", "fail", "print fail"]
    assert english_words("打印机 printed") == ["print"]
    # A negation reads as one form however it is typed.
    assert english_words("won't print") == english_words("will not print") == english_words("wont print")
    assert english_words("can't log in") == english_words("cannot log in") == english_words("can not log in")
    assert english_words("it doesn't open") == ["it", "do", "not", "open", "it do", "do not", "not open"]


def test_english_text_takes_the_models_symptom_from_a_lower_probability(ontology) -> None:  # type: ignore[no-untyped-def]
    from weibao.graph.ensemble import language

    assert language("the lab results never came") == "en" and language("LIS结果没过来") == "zh"
    linked = EntityLinker(ontology).link("LIS results")
    probs = {"systems": {"lis": 0.9}, "symptoms": {"data_sync": 0.25, "slow": 0.2}}
    assert merge(linked, probs, ontology, lang="en").ids("symptoms") == ["data_sync"]
    assert merge(linked, probs, ontology).ids("symptoms") == []  # Chinese keeps 0.4


def test_a_sure_model_overrules_a_dictionary_label_it_rules_out(ontology) -> None:  # type: ignore[no-untyped-def]
    linked = EntityLinker(ontology).link("patients are not receiving the SMS code")
    assert linked.ids("symptoms") == ["data_sync"]  # the dictionary reads "not receiving"
    sure = merge(linked, {"systems": {}, "symptoms": {"login_failure": 0.8, "data_sync": 0.03}}, ontology)
    assert sure.ids("symptoms") == ["login_failure"]
    # A model that does not rule the dictionary's label out, or is unsure itself: both stay.
    unsure = merge(linked, {"systems": {}, "symptoms": {"login_failure": 0.45, "data_sync": 0.03}}, ontology)
    assert unsure.ids("symptoms")[0] == "data_sync"
    backed = merge(linked, {"systems": {}, "symptoms": {"login_failure": 0.8, "data_sync": 0.3}}, ontology)
    assert "data_sync" in backed.ids("symptoms")
