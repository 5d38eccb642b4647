"""`weibao train`'s data: articles, resolved tickets, corrections and aliases; the stored model."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from weibao.core.db import Database, session_scope
from weibao.core.model_files import stored_versions
from weibao.graph.classifier import load_model, model_path
from weibao.graph.ensemble import EnsembleLinker, ModelWatcher
from weibao.graph.ontology import has_cjk
from weibao.routing.training import (
    LABEL_DEV_SETS,
    alias_samples,
    article_samples,
    devset_label_samples,
    phrasing_samples,
    retrain,
    ticket_samples,
    train_and_save,
)


def test_articles_give_their_titles_and_the_users_own_phrasing(seeded_services) -> None:  # type: ignore[no-untyped-def]
    with session_scope(seeded_services.database.sessions) as session:
        samples = article_samples(session)
    by_text = {s.text: s for s in samples}
    assert by_text["门诊医生站开处方、开检查时卡顿，点了没反应"].systems == ("his",)
    quoted = [s for s in samples if "开处方卡死了" in s.text]
    assert quoted and quoted[0].systems == ("his",) and quoted[0].symptoms == ("slow",)
    # Fix steps are not problem descriptions: they are not samples.
    assert not any(s.text.startswith("关闭不用的患者标签页") for s in samples)


def test_resolved_tickets_are_samples_and_open_ones_are_not(seeded_services) -> None:  # type: ignore[no-untyped-def]
    with session_scope(seeded_services.database.sessions) as session:
        samples = ticket_samples(session)
    assert len([s for s in samples if s.source == "ticket"]) >= 700
    assert all(s.systems for s in samples if s.source == "ticket")


def test_aliases_teach_their_kind_and_that_they_name_nothing_of_the_other(seeded_services) -> None:  # type: ignore[no-untyped-def]
    samples = alias_samples(seeded_services.kb.linker.ontology)
    printing = [s for s in samples if s.symptoms == ("print_failure",)]
    assert printing and all(s.systems == () for s in printing)
    assert any(s.systems == ("pacs",) and s.symptoms == () for s in samples)


def test_everyday_phrasing_teaches_each_kind_alone_and_systems_with_symptoms_together(seeded_services) -> None:  # type: ignore[no-untyped-def]
    ontology = seeded_services.kb.linker.ontology
    samples = phrasing_samples(ontology)
    alone = [s for s in samples if s.systems == () and s.symptoms]
    paired = [s for s in samples if s.systems and s.symptoms]
    assert {s.symptoms[0] for s in alone} == set(ontology.symptoms)  # every symptom has phrasing
    assert any(s.systems == ("lis",) and s.symptoms == () for s in samples)
    # Each symptom phrase is trained in two sentences naming a system, systems taken in turn.
    assert len(paired) == 2 * len(alone) and len({s.systems for s in paired}) == len(ontology.systems)
    assert any(s.text == "takes minutes to open" and s.symptoms == ("slow",) for s in alone)
    assert all(s.source == "phrasing" for s in samples)
    # Chinese phrasing is paired with Chinese system phrases and sentences only, written
    # without spaces as staff type it; no sample mixes the languages.
    assert any(s.text == "一直在转圈圈出不来" and s.symptoms == ("slow",) for s in alone)
    chinese = [s for s in paired if has_cjk(s.text)]
    assert chinese and len({s.systems for s in chinese}) == len(ontology.systems)
    assert not any(re.search(r"(?i)problem with|since this morning|: ", s.text) for s in chinese)
    assert any(s.text == "挂号系统只打了一半" and s.systems == ("registration",) for s in chinese)
    # A symptom phrase naming a system or device does not teach the systems (it named none
    # when trained as "no system"), alone or paired.
    reader = [s for s in samples if "the card reader cannot read the card" in s.text]
    assert reader and all(s.systems is None and s.symptoms == ("device_connect",) for s in reader)
    # No phrasing file: nothing (a custom ontology folder need not have one).
    assert phrasing_samples(type(ontology)(directory=None)) == []


def _copy_of_the_seeded_database(seeded_dir: Path, folder: Path) -> Database:
    """Training stores its models in the database: a copy keeps the shared one as it was."""
    folder.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(seeded_dir / "weibao.db"), sqlite3.connect(folder / "weibao.db")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Database(f"sqlite:///{folder / 'weibao.db'}")


def test_train_stores_the_model_in_the_database_and_the_data_folder_and_a_watcher_loads_it(  # type: ignore[no-untyped-def]
    seeded_dir: Path, seeded_services, tmp_path: Path
) -> None:
    database = _copy_of_the_seeded_database(seeded_dir, tmp_path / "db")
    with session_scope(database.sessions) as session:
        _, report = train_and_save(session, seeded_services.kb.linker.ontology, tmp_path)
    path = model_path(tmp_path)
    assert report.size_bytes == path.stat().st_size and report.path == str(path)
    assert {"article", "ticket", "alias", "phrasing", "devset"} <= set(report.by_source)
    assert load_model(path) is not None
    # The database holds the same bytes, for every host.
    stored = stored_versions(database.engine)
    assert stored["understanding"].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert stored["understanding"].size == report.size_bytes
    linker = EnsembleLinker(seeded_services.kb.linker.ontology)
    watcher = ModelWatcher(linker, path, every_seconds=0)
    assert linker.model is None
    path.touch()
    import os

    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert watcher.check() and linker.model is not None
    # The model reads phrasing the dictionary lacks: a label with a probability.
    assert linker.link("影像科的看片机打开序列全黑").systems[0].id == "pacs"
    fresh = EnsembleLinker(seeded_services.kb.linker.ontology)
    retrain(database.sessions, fresh, tmp_path / "again")
    assert fresh.model is not None and model_path(tmp_path / "again").exists()
    # One row per model, replaced by the retraining.
    again = stored_versions(database.engine)
    assert set(again) == {"understanding", "priority"}
    assert again["understanding"].sha256 == hashlib.sha256(model_path(tmp_path / "again").read_bytes()).hexdigest()
    database.engine.dispose()


def test_the_development_sets_teach_the_label_model_and_no_other_set_is_read(tmp_path: Path) -> None:
    eval_dir = Path(__file__).resolve().parents[2] / "data" / "eval"
    samples = devset_label_samples(eval_dir)
    assert len(samples) > 1000 and {s.source for s in samples} == {"devset"}
    assert any(s.systems and s.symptoms and len(s.text) > 40 for s in samples)  # tickets
    assert "heldout6" not in LABEL_DEV_SETS  # the blind set of round six is never trained on
    # A folder without the sets: nothing.
    assert devset_label_samples(tmp_path) == []
    (tmp_path / "heldout").mkdir()
    (tmp_path / "heldout" / "tickets.yaml").write_text(
        "- {title: '打印机卡纸', description: '', systems: [terminal], symptoms: [print_failure], "
        "priority: P3, lang: zh}\n", encoding="utf-8")
    [only] = devset_label_samples(tmp_path)
    assert only.systems == ("terminal",) and only.symptoms == ("print_failure",)


def test_a_server_without_a_model_trains_at_its_first_tick_and_one_with_a_model_waits_a_period(
    database_url: str, tmp_path: Path
) -> None:
    from weibao.core.model_files import store_model
    from weibao.graph.classifier import STORED, LabelModel
    from weibao.web.training_monitor import first_due

    database = Database(database_url)
    # A model file in this host's data folder does not count: the database has none.
    model_path(tmp_path).parent.mkdir(parents=True, exist_ok=True)
    model_path(tmp_path).write_bytes(b"a model")
    assert first_due(database.engine, 86_400, now=100.0) == 100.0
    store_model(database.engine, STORED, LabelModel(None, {}, {}, {}), tmp_path / "model.pkl")
    assert first_due(database.engine, 86_400, now=100.0) == 86_500.0
    database.engine.dispose()
