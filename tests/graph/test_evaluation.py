from weibao.graph.evaluation import evaluate_linking


def test_evaluate_linking_micro_averages_over_ids(linker):
    items = [
        {"text": "PACS片子打不开", "systems": ["pacs"], "symptoms": ["image_load"]},
        {"text": "HIS很卡", "systems": ["his", "emr"], "symptoms": ["slow"]},  # emr missed
        {"text": "放射科很卡", "systems": [], "symptoms": ["slow"]},  # hint is not counted
    ]
    report = evaluate_linking(linker, items)
    assert report["systems"]["tp"] == 2 and report["systems"]["fn"] == 1
    assert report["systems"]["fp"] == 0
    assert report["symptoms"]["precision"] == 1.0
    assert report["micro"]["recall"] == round(5 / 6, 4)
    assert report["errors"] == [
        {"text": "HIS很卡", "kind": "systems", "missing": ["emr"], "extra": []}
    ]


def test_evaluate_linking_on_no_items_is_perfect_by_convention(linker):
    report = evaluate_linking(linker, [])
    assert report["n"] == 0 and report["micro"]["precision"] == 1.0
