"""The UI's Babel catalogues (weibao/web/locale/): the shipped ones are complete in both
languages and hold every key the templates and pages look up; the loader refuses every
kind of broken catalogue (written with the real tool into a temporary locale directory)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from weibao.routing.models import STATUS_NAMES
from weibao.web import i18n
from weibao.web.catalogues import (
    LOCALE_DIR,
    LOCALES,
    CatalogueError,
    catalogue_path,
    domains,
    load,
    read_domain,
)
from weibao.web.locale_tools import Entry, add, main, write_domain

WEB = Path(i18n.__file__).resolve().parent
# t( … ) in a template or page: the argument's quoted strings. A string followed by `~`
# is the prefix of keys made at render time (t('status_' ~ ticket.status)).
CALL = re.compile(r"\bt\(([^()]*)\)")
LITERAL = re.compile(r"""(['"])([A-Za-z0-9_]+)\1(\s*~)?""")


def used_keys() -> tuple[dict[str, str], dict[str, str]]:
    """(key → where, prefix → where) for every t( … ) in the templates and web modules."""
    keys: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    files = [p for p in (WEB / "templates").rglob("*") if p.is_file()] + sorted(WEB.rglob("*.py"))
    for path in files:
        for call in CALL.finditer(path.read_text(encoding="utf-8")):
            for literal in LITERAL.finditer(call.group(1)):
                (prefixes if literal.group(3) else keys).setdefault(literal.group(2), path.name)
    return keys, prefixes


def test_shipped_catalogues_parse_and_are_complete_in_both_languages() -> None:
    names = domains()
    assert {"messages", "desk", "authoring", "estate"} <= set(names)
    for domain in names:
        zh, en = (read_domain(LOCALE_DIR, lang, domain) for lang in ("zh", "en"))
        assert zh and list(zh) == list(en), domain
    loaded = load()
    assert len(loaded) > 900
    # What pages look up is the catalogues plus the generated status names, nothing else.
    assert {**loaded, **{f"status_{s}": {"zh": zh, "en": en} for s, (zh, en) in STATUS_NAMES.items()}} == i18n.MESSAGES


def test_every_key_the_templates_and_pages_use_exists() -> None:
    keys, prefixes = used_keys()
    assert len(keys) > 500 and "app_name" in keys and "desk_nav_home" in keys
    assert not sorted(f"{key} ({where})" for key, where in keys.items() if key not in i18n.MESSAGES)
    assert not sorted(f"{prefix}… ({where})" for prefix, where in prefixes.items()
                      if not any(key.startswith(prefix) for key in i18n.MESSAGES))


def test_translator_reads_the_catalogues() -> None:
    assert i18n.translator("zh")("sign_in") == "登录"
    assert i18n.translator("en")("sign_in") == "Sign in"
    assert i18n.translator("en")("status_closed") == "closed"
    assert i18n.translator("en")("no_such_key_anywhere") == "no_such_key_anywhere"


# --- the loader's refusals, on catalogues written by the tool into a temporary directory

GOOD = [Entry("greeting", "您好，{name}", "Hello, {name}", ["A comment"]),
        Entry("tricky", '引号 " 反斜杠 \\ 换行\n尾部空格 ', 'quote " backslash \\ newline\ntrailing space ')]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_domain(tmp_path, "one", GOOD, "Area one.")
    write_domain(tmp_path, "two", [Entry("other", "别的", "Other")])
    return tmp_path


def test_written_catalogues_read_back_exactly_and_write_stably(root: Path) -> None:
    assert load(root) == {"greeting": {"zh": "您好，{name}", "en": "Hello, {name}"},
                          "tricky": {"zh": GOOD[1].zh, "en": GOOD[1].en}, "other": {"zh": "别的", "en": "Other"}}
    first = catalogue_path(root, "zh", "one").read_bytes()
    write_domain(root, "one", GOOD, "Area one.")
    assert catalogue_path(root, "zh", "one").read_bytes() == first
    assert "# A comment\nmsgid \"greeting\"" in first.decode()
    assert (root / "zh_CN" / "LC_MESSAGES" / "one.po").exists() and LOCALES["zh"] == "zh_CN"


def edit(root: Path, lang: str, domain: str, old: str, new: str) -> None:
    path = catalogue_path(root, lang, domain)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("lang", "old", "new", "error"), [
    ("en", 'msgid "greeting"\nmsgstr "Hello, {name}"\n', "", r"en/LC_MESSAGES/one.po: UI message key 'greeting' missing"),
    ("zh", 'msgid "tricky"', 'msgid "greeting2"', r"missing"),
    ("en", 'msgstr "Hello, {name}"', 'msgstr ""', r"'greeting' has no en text"),
    ("zh", 'msgid "greeting"', '#, fuzzy\nmsgid "greeting"', r"'greeting' has no zh text"),
    ("en", 'msgstr "Hello, {name}"', 'msgstr "Hello, {who}"', r"placeholders differ"),
    ("zh", 'msgid "tricky"', 'msgid "greeting"', r"'greeting' defined twice"),
    ("zh", 'msgid "tricky"', 'msgid "Tricky text"', r"not a message key"),
    ("en", 'msgid "tricky"', 'msgid tricky', r"one\.po"),
    ("en", 'msgid "tricky"', 'msgctxt "x"\nmsgid "tricky"', r"contexts"),
])
def test_a_broken_catalogue_is_refused(root: Path, lang: str, old: str, new: str, error: str) -> None:
    load(root)
    edit(root, lang, "one", old, new)
    with pytest.raises(CatalogueError, match=error):
        load(root)


def test_a_key_in_two_domains_is_refused(root: Path) -> None:
    write_domain(root, "three", [Entry("other", "又一个", "Again")])
    with pytest.raises(CatalogueError, match=r"'other' defined twice \(domains three and two\)"):
        load(root)


def test_a_domain_in_one_language_only_is_refused(root: Path) -> None:
    catalogue_path(root, "en", "two").unlink()
    with pytest.raises(CatalogueError, match=r"missing: .*en/LC_MESSAGES/two\.po"):
        load(root)


def test_no_catalogues_at_all_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no UI catalogues"):
        load(tmp_path)


def test_the_tool_adds_a_key_to_both_languages(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = catalogue_path(root, "zh", "two").read_text(encoding="utf-8")
    assert main(["--root", str(root), "add", "two", "added", "新增 “引号”", 'Added "quoted"',
                 "--comment", "Why"]) == 0
    assert catalogue_path(root, "zh", "two").read_text(encoding="utf-8").startswith(before)
    assert load(root)["added"] == {"zh": "新增 “引号”", "en": 'Added "quoted"'}
    add(root, "new_area", Entry("fresh", "新", "New"))
    assert load(root)["fresh"] == {"zh": "新", "en": "New"}
    with pytest.raises(CatalogueError, match="exists already"):
        add(root, "one", Entry("added", "x", "x"))
    assert main(["--root", str(root), "add", "two", "bad key", "x", "x"]) == 1
    assert main(["--root", str(root), "check"]) == 0
    assert "5 UI message keys" in capsys.readouterr().out.splitlines()[-1]
