"""Freshness judged from facts: affected versions as authors and files write them, newer
resolutions that went another way, versions no installation runs any more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weibao.kb.documents import ArticleFormatError, parse_article_text
from weibao.kb.freshness import (
    AffectedVersionsError,
    ResolutionFact,
    check_affected_versions,
    contradicting,
    versions_retired,
)

REVIEWED = datetime(2026, 6, 1, tzinfo=UTC)


def _fact(code: str, days: int, system: str = "his", symptom: str = "login_failure",
          articles: tuple[str, ...] = (), fixes: tuple[str, ...] = ()) -> ResolutionFact:
    return ResolutionFact(code, system, symptom, REVIEWED + timedelta(days=days), articles, fixes)


def test_affected_versions_are_cleaned_and_numbers_kept_as_written() -> None:
    cleaned = check_affected_versions({"his": ["5.2", " 5.2 ", 5.3, "5.3.1-sp2"], "lis": []}, ["his", "lis"])
    assert cleaned == {"his": ["5.2", "5.3", "5.3.1-sp2"]}
    assert check_affected_versions(None, ["his"]) == {} and check_affected_versions({}, []) == {}
    assert check_affected_versions({"his": "5.2"}, ["his"]) == {"his": ["5.2"]}


@pytest.mark.parametrize(("value", "named"), [
    ({"mri": ["1.0"]}, "'mri'"),                       # not a system at all
    ({"lis": ["1.0"]}, "'lis'"),                       # a system the article is not about
    ({"his": ["5.2; rm -rf"]}, "5.2; rm -rf"),         # not a version
    ({"his": [True]}, "True"),
    (["5.2"], "must map"),
])
def test_bad_affected_versions_are_refused_naming_the_id(value: object, named: str) -> None:
    with pytest.raises(AffectedVersionsError) as caught:
        check_affected_versions(value, ["his"])
    assert caught.value.field == "affected_versions" and named in caught.value.message


def test_front_matter_reads_affected_versions_and_refuses_an_unknown_system() -> None:
    text = ("---\nid: his-x\ntitle: 登录失败\nsystems: [his]\nsymptoms: [login_failure]\naudience: it_staff\n"
            "language: zh\nupdated: 2026-08-01\naffected_versions:\n  his: [5.2, \"5.3\"]\n---\n正文")
    source = parse_article_text(text, "x.md")
    assert source.affected_versions == {"his": ["5.2", "5.3"]}
    assert source.front_matter()["affected_versions"] == {"his": ["5.2", "5.3"]}
    with pytest.raises(ArticleFormatError, match=r"field 'affected_versions': unknown id 'ris'"):
        parse_article_text(text.replace("  his: [5.2", "  ris: [5.2"), "x.md")
    # Without the field the front matter (and so the stored hash) is what it was before.
    plain = parse_article_text(text.split("affected_versions")[0] + "---\n正文", "x.md")
    assert "affected_versions" not in plain.front_matter()


def test_contradicting_counts_newer_resolutions_of_the_same_system_and_symptom_only() -> None:
    facts = [
        _fact("T-6", 6),
        _fact("T-5", 5, articles=("his-login",)),          # used the article
        _fact("T-4", 4, fixes=("fix-reset-password",)),    # used one of its fixes
        _fact("T-3", 3, system="lis"),                     # another system
        _fact("T-2", 2, symptom="slow_response"),          # another symptom
        _fact("T-1", 1),
        _fact("T-0", -1),                                  # before the last review
    ]
    found = contradicting("his-login", ["his"], ["login_failure"], ["fix-reset-password"], REVIEWED, facts)
    assert [f.code for f in found] == ["T-6", "T-1"]


def test_versions_retired_when_no_installation_runs_any_named_version() -> None:
    assert versions_retired({"his": ["5.2"]}, {"his": {"5.3.1"}})
    assert not versions_retired({"his": ["5.2", "5.3"]}, {"his": {"5.3.1"}})   # 5.3 covers 5.3.1
    assert versions_retired({"his": ["5.2"]}, {"his": {"5.21"}})              # not a dotted prefix
    assert versions_retired({"his": ["5.2"]}, {"lis": {"5.2"}})               # no HIS runs at all
    assert not versions_retired({}, {"his": {"1"}})                          # names no versions
    assert not versions_retired({"his": ["5.2"]}, None)                      # estate unknown
