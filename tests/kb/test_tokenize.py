from __future__ import annotations

from weibao.kb.tokenize import Tokenizer, cjk_ratio


def test_domain_words_stay_whole_in_chinese() -> None:
    tokens = Tokenizer(["片子", "看不了"]).tokens("放射科电脑上看不了片子")
    assert "片子" in tokens and "看不了" in tokens


def test_english_is_lowercased_stemmed_and_stopwords_dropped() -> None:
    tokens = Tokenizer().tokens("HL7 Messages stuck in the Integration engine")
    assert tokens == ["hl7", "message", "stuck", "integration", "engine"]


def test_error_codes_keep_the_compound_and_its_parts() -> None:
    tokens = Tokenizer().tokens("ORA-01653 表空间满")
    assert {"ora-01653", "ora", "01653"} <= set(tokens)


def test_full_width_letters_fold_to_ascii() -> None:
    assert "his" in Tokenizer().tokens("ＨＩＳ登不上")


def test_cjk_ratio_of_mixed_text() -> None:
    assert cjk_ratio("") == 0.0
    assert cjk_ratio("pacs") == 0.0
    assert 0.3 < cjk_ratio("pacs 很卡") < 0.5
