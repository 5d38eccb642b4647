"""The UI's message catalogues: Babel .po files under weibao/web/locale/, read at import.

Layout: `locale/<locale>/LC_MESSAGES/<domain>.po`, with the locale `zh_CN` for the app's
"zh" (Simplified Chinese, the default) and `en` for "en"; one domain per feature area
(`messages` for the shared words, `desk`, `authoring`, `estate`, …) so that a feature edits
its own pair of files. The msgid is the message key that templates and code look up
(`t("desk_nav_home")`), the msgstr the text; see locale/README.md for why keys and not
source strings.

A broken catalogue stops start-up (CatalogueError at import), as the Python dictionaries
did before: a file that does not parse, a key defined twice (in one file or across
domains), a key missing, empty or fuzzy in either language, a domain present in one
language only, or `{placeholder}` names that differ between Chinese and English.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The app's language code → the gettext locale directory holding its catalogues.
LOCALES = {"zh": "zh_CN", "en": "en"}

KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_MSGID_LINE = re.compile(r'^msgid "(.*)"$', re.MULTILINE)


class CatalogueError(ValueError):
    """A UI catalogue is broken; raised at import so that the app does not start."""


def catalogue_path(root: Path, lang: str, domain: str) -> Path:
    return root / LOCALES[lang] / "LC_MESSAGES" / f"{domain}.po"


def domains(root: Path = LOCALE_DIR) -> list[str]:
    """Every domain, in name order; a domain that lacks one language is an error."""
    found = {
        lang: {path.stem for path in (root / locale / "LC_MESSAGES").glob("*.po")}
        for lang, locale in LOCALES.items()
    }
    every = set().union(*found.values())
    if not every:
        raise CatalogueError(f"no UI catalogues under {root}")
    for lang, names in found.items():
        if missing := sorted(every - names):
            files = ", ".join(str(catalogue_path(root, lang, name)) for name in missing)
            raise CatalogueError(f"UI catalogue missing: {files}")
    return sorted(every)


def read_domain(root: Path, lang: str, domain: str) -> dict[str, str]:
    """One catalogue file: key → text, in file order."""
    path = catalogue_path(root, lang, domain)
    text = path.read_text(encoding="utf-8")
    twice = [key for key, count in Counter(_MSGID_LINE.findall(text)).items() if count > 1 and key]
    if twice:
        raise CatalogueError(f"{path}: UI message key {twice[0]!r} defined twice")
    with path.open("rb") as stream:
        try:
            catalog = read_po(stream, locale=LOCALES[lang], domain=domain, abort_invalid=True)
        except PoFileError as error:
            raise CatalogueError(f"{path}: {error}") from error
    entries: dict[str, str] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if not isinstance(message.id, str) or message.context is not None:
            raise CatalogueError(f"{path}: {message.id!r}: plural forms and contexts are not used")
        if not KEY.match(message.id):
            raise CatalogueError(f"{path}: {message.id!r} is not a message key (letters, digits, _ . -)")
        if message.fuzzy or not isinstance(message.string, str) or not message.string:
            raise CatalogueError(f"{path}: UI message key {message.id!r} has no {lang} text")
        entries[message.id] = message.string
    return entries


def load(root: Path = LOCALE_DIR) -> dict[str, dict[str, str]]:
    """Every domain merged: key → {"zh": text, "en": text}."""
    merged: dict[str, dict[str, str]] = {}
    home: dict[str, str] = {}
    for domain in domains(root):
        texts = {lang: read_domain(root, lang, domain) for lang in LOCALES}
        for lang, other in (("zh", "en"), ("en", "zh")):
            if missing := [key for key in texts[other] if key not in texts[lang]]:
                raise CatalogueError(
                    f"{catalogue_path(root, lang, domain)}: UI message key {missing[0]!r} "
                    f"missing ({len(missing)} key(s) are in {other} only)"
                )
        for key, zh in texts["zh"].items():
            if key in home:
                raise CatalogueError(
                    f"UI message key {key!r} defined twice (domains {home[key]} and {domain})"
                )
            en = texts["en"][key]
            if set(PLACEHOLDER.findall(zh)) != set(PLACEHOLDER.findall(en)):
                raise CatalogueError(
                    f"UI message key {key!r} (domain {domain}): placeholders differ, "
                    f"zh {sorted(set(PLACEHOLDER.findall(zh)))} vs en {sorted(set(PLACEHOLDER.findall(en)))}"
                )
            home[key] = domain
            merged[key] = {"zh": zh, "en": en}
    return merged
