import statistics
import time

import pytest

from weibao.graph.linking import EntityLinker, expansion_terms


def ids(result, kind):
    return result.ids(kind)


# -- colloquial Chinese ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "system", "symptom"),
    [
        ("片子一直转圈圈", "pacs", "slow"),
        ("HIS又崩了", "his", "outage"),
        ("移护登不上", "nursing", "login_failure"),
        ("手麻系统打不开了", "or_anesthesia", "outage"),
        ("医保卡刷了结算失败", "insurance", "settlement_failure"),
        ("检验结果没过来", "lis", "data_sync"),
        ("阅片的时候卡死了", "pacs", "slow"),
    ],
)
def test_colloquial_chinese_links_system_and_symptom(linker, text, system, symptom):
    result = linker.link(text)
    assert system in ids(result, "systems")
    assert symptom in ids(result, "symptoms")


def test_typos_link_with_lower_confidence(linker):
    result = linker.link("医宝结箅失败")
    assert ids(result, "systems") == ["insurance"]
    assert ids(result, "symptoms") == ["settlement_failure"]
    exact = linker.link("医保结算失败")
    assert result.systems[0].confidence < exact.systems[0].confidence


def test_full_width_latin_is_normalized_and_span_points_into_the_original(linker):
    text = "ＰＡＣＳ　看不了片子"
    result = linker.link(text)
    pacs = result.systems[0]
    assert pacs.id == "pacs"
    assert text[pacs.span[0] : pacs.span[1]] == "ＰＡＣＳ" == pacs.text
    assert ids(result, "symptoms") == ["image_load"]


# -- English and mixed ----------------------------------------------------------------------


def test_english_text_links_systems_and_symptoms(linker):
    result = linker.link("The LIS interface keeps timing out")
    assert ids(result, "systems") == ["lis"]
    assert ids(result, "symptoms") == ["interface_error"]


def test_mixed_chinese_english_text(linker):
    result = linker.link("EMR保存的时候报error")
    assert ids(result, "systems") == ["emr"]
    assert ids(result, "symptoms") == ["crash_error"]


def test_terms_are_linked_beside_systems(linker):
    result = linker.link("HL7消息发不到集成平台，Oracle表空间满了")
    assert {"hl7", "oracle"} <= set(ids(result, "terms"))
    assert "integration" in ids(result, "systems")


# -- word boundaries and segmentation -------------------------------------------------------


def test_word_boundary_his_not_inside_this(linker):
    assert "his" not in ids(linker.link("this page is broken"), "systems")
    assert "his" in ids(linker.link("this HIS page is broken"), "systems")


def test_acronym_that_is_an_english_word_needs_capitals_among_latin_words(linker):
    assert linker.link("a copy of his MRI").ids("systems") == ["pacs"]
    assert linker.link("HIS is slow").ids("systems") == ["his"]
    assert linker.link("his卡了").ids("systems") == ["his"]  # beside Chinese, any case


def test_a_role_or_a_place_is_not_a_system(linker):
    # A nurse is a person and the nurse station a place: the printer is what is broken.
    assert linker.link("the nurse says the printer is offline").ids("systems") == ["terminal"]
    result = linker.link("护士站那台打印机打不出来")
    assert result.ids("systems") == ["terminal"]
    assert result.ids("departments") == ["nursing"]


def test_word_boundary_or_never_matches_inside_error(linker):
    result = linker.link("an error occurred")
    assert ids(result, "systems") == []
    assert ids(result, "symptoms") == ["crash_error"]


def test_word_boundary_lab_not_inside_label(linker):
    assert "lis" not in ids(linker.link("the label is wrong"), "systems")


def test_jieba_drops_chinese_alias_cutting_through_a_word(linker):
    # 门诊 straddles 专门 / 诊断: not an outpatient mention.
    assert ids(linker.link("专门诊断一下"), "departments") == []


def test_jieba_symptom_inside_device_name_is_not_a_symptom(linker):
    result = linker.link("打印机很慢")
    assert "print_failure" not in ids(result, "symptoms")
    assert ids(result, "systems") == ["terminal"]
    assert "slow" in ids(result, "symptoms")


def test_jieba_system_inside_department_name_is_a_place_not_a_system(linker):
    result = linker.link("检验科的打印机卡纸了")
    assert ids(result, "systems") == ["terminal"]
    assert ids(result, "departments") == ["laboratory"]


# -- longest match ---------------------------------------------------------------------------


def test_longest_match_electronic_record_beats_record(linker):
    result = linker.link("电子病历打不开")
    emr = result.systems[0]
    assert emr.id == "emr" and emr.text == "电子病历" and emr.span == (0, 4)


def test_longest_match_symptom_phrase_keeps_device_system(linker):
    result = linker.link("打印机没反应")
    assert ids(result, "symptoms") == ["print_failure"]  # not "没反应" → slow
    assert ids(result, "systems") == ["terminal"]


# -- negation --------------------------------------------------------------------------------


def test_negation_bu_shi_da_yin_de_wen_ti_does_not_link_print_failure(linker):
    result = linker.link("不是打印的问题，是系统卡顿")
    assert "print_failure" not in ids(result, "symptoms")
    assert ids(result, "symptoms") == ["slow"]


def test_negation_not_a_printer_issue(linker):
    result = linker.link("not a printer issue, the PACS is slow")
    assert ids(result, "systems") == ["pacs"]
    assert "printer" not in ids(result, "terms")


def test_negation_thing_said_to_be_fine(linker):
    result = linker.link("网络没问题，HIS打开特别慢")
    assert ids(result, "systems") == ["his"]


def test_negation_by_a_long_english_phrase_after_the_mention(linker):
    # "is not the problem" (18 characters) and "has nothing to do" were longer than the window
    # read after a mention, so they never denied it.
    assert ids(linker.link("the printer is not the problem, the HIS is slow"), "systems") == ["his"]
    assert ids(linker.link("the network has nothing to do with it, EMR crashes"), "systems") == ["emr"]
    # "not" before a verb's object is no denial of the object.
    assert "lis" in ids(linker.link("lab orders are not reaching the analyzers"), "systems")


def test_negation_question_shi_bu_shi_is_not_a_denial(linker):
    assert "infrastructure" in ids(linker.link("是不是网络的问题"), "systems")


def test_negation_does_not_reach_past_an_affirmation(linker):
    result = linker.link("不是打印机，是扫码枪坏了")
    assert ids(result, "systems") == ["terminal"]
    assert result.systems[0].text == "扫码枪"


# -- departments and hints -------------------------------------------------------------------


def test_department_implies_system_only_when_none_is_named(linker):
    hinted = linker.link("放射科这边很卡")
    assert ids(hinted, "departments") == ["radiology"]
    assert ids(hinted, "systems") == ["pacs"]
    assert hinted.systems[0].implied and hinted.systems[0].confidence < 0.4
    explicit = linker.link("放射科的HIS很卡")
    assert ids(explicit, "systems") == ["his"]


# -- confidence and output -------------------------------------------------------------------


def test_confidence_canonical_name_beats_short_colloquial_alias(linker):
    canonical = linker.link("电子病历").systems[0].confidence
    colloquial = linker.link("写病历").systems[0].confidence
    assert canonical > colloquial


def test_mentions_sorted_by_confidence_and_one_per_id(linker):
    result = linker.link("PACS影像系统的片子打不开，PACS很慢")
    assert ids(result, "systems").count("pacs") == 1
    for kind in ("systems", "symptoms", "departments", "terms"):
        confidences = [m.confidence for m in result.of(kind)]
        assert confidences == sorted(confidences, reverse=True)


def test_to_dict_gives_names_in_the_requested_language(linker):
    result = linker.link("PACS卡顿")
    zh, en = result.to_dict("zh"), result.to_dict("en")
    assert zh["systems"][0]["id"] == "pacs"
    assert zh["systems"][0]["name"] == "影像归档与通信/放射信息"
    assert en["systems"][0]["name"] == "PACS / RIS imaging"
    assert en["symptoms"][0]["span"] == [4, 6]
    assert set(zh) == {"systems", "symptoms", "departments", "terms"}


def test_empty_text_links_nothing(linker):
    assert not linker.link("")
    assert not linker.link("今天天气不错")


def test_expansion_terms_add_canonical_names_and_aliases(linker):
    result = linker.link("片子转圈圈")
    words = expansion_terms(result)
    assert "PACS" in words and "卡顿" in words
    zh_words = expansion_terms(result, lang="zh")
    assert all(not w.isascii() or w.isupper() for w in zh_words)
    assert "slow" in expansion_terms(result, lang="en")


def test_linker_without_jieba_still_links(ontology):
    plain = EntityLinker(ontology, use_jieba=False)
    assert plain.link("PACS卡顿").ids("systems") == ["pacs"]


def test_link_is_fast_for_short_queries(linker):
    phrases = [
        "PACS片子打不开",
        "HIS登不上",
        "医保结算失败",
        "not a printer issue",
        "检验结果没过来",
    ]
    for p in phrases:
        linker.link(p)
    timings = []
    for _ in range(100):
        for p in phrases:
            start = time.perf_counter()
            linker.link(p)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.002


# -- masking placeholders -------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["[病历号]", "[手机号]", "[身份证号]", "[姓名]", "[电话]", "[银行卡号]"]
)
@pytest.mark.parametrize(
    "template", ["{t}", "患者{t}，{t}", "患者{t}反映：", "看{t}", "［{inner}］号"]
)
def test_masking_placeholders_link_nothing(linker, token, template):
    text = template.format(t=token, inner=token[1:-1])
    result = linker.link(text)
    assert not result.systems and not result.symptoms, result.to_dict()


def test_placeholders_are_skipped_but_the_rest_still_links(linker):
    from weibao.core.privacy import mask_pii

    masked = mask_pii("病历号：A12345 的患者张三，电子病历打不开", (), ()).text
    assert "[病历号]" in masked and "[姓名]" in masked
    result = linker.link(masked)
    emr = [m for m in result.systems if m.id == "emr"]
    assert emr and masked[emr[0].span[0] : emr[0].span[1]] == "电子病历"
    assert "outage" in ids(result, "symptoms")


# -- English inflections ----------------------------------------------------------------------


def test_english_inflections_share_a_stem():
    from weibao.graph.english import stem

    for forms in (("print", "prints", "printed", "printing"), ("store", "stored", "storing", "stores"),
                  ("jam", "jammed"), ("freeze", "freezes", "frozen"), ("copy", "copied", "copies")):
        assert len({stem(w) for w in forms}) == 1, forms
    assert stem("printer") != stem("print")  # a device is not a failure
    assert stem("status") == "status" and stem("virus") == "virus"


def test_inflected_english_matches_a_multi_word_alias(linker):
    result = linker.link("The card readers are not connecting")
    assert "terminal" in ids(result, "systems")
    assert "device_connect" in ids(result, "symptoms")


def test_a_short_or_inflected_one_word_alias_stays_exact(linker):
    # "nursing" (the system) must not read "nurse" (a role); "locked" not "locks".
    assert "nursing" not in ids(linker.link("the nurse called about it"), "systems")
    assert "login_failure" not in ids(linker.link("DB locks all morning"), "symptoms")


def test_a_symptom_word_inside_a_system_name_is_the_name(linker):
    result = linker.link("cannot read social security cards")
    assert "insurance" in ids(result, "systems")
    assert "security" not in ids(result, "symptoms")
