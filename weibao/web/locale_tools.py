"""Upkeep of the UI catalogues (weibao/web/locale/); a command-line tool, not on the request path.

    python -m weibao.web.locale_tools check
        read every catalogue with the loader's checks (what start-up does) and count the keys
    python -m weibao.web.locale_tools add DOMAIN KEY ZH EN [--comment TEXT]
        append one key to both languages of a domain (a new domain gets its pair of files)

Editing the .po files by hand works just as well: add the same msgid to
zh_CN/LC_MESSAGES/<domain>.po and en/LC_MESSAGES/<domain>.po.
"""

from __future__ import annotations

import argparse
import datetime
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import escape, write_po

from weibao.web.catalogues import KEY, LOCALE_DIR, LOCALES, CatalogueError, catalogue_path, load

# Fixed header dates: rewriting a catalogue from the same entries gives the same bytes.
_FIXED = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
_LANGUAGE_NAMES = {"zh": "Simplified Chinese", "en": "English"}


@dataclass
class Entry:
    key: str
    zh: str
    en: str
    comments: list[str] = field(default_factory=list)


def header(domain: str, lang: str, description: str) -> str:
    lines = [f'WeiBao UI strings, area "{domain}": {_LANGUAGE_NAMES[lang]} ({LOCALES[lang]}).']
    lines += description.strip().splitlines() if description.strip() else []
    lines.append("msgid is the message key (t(\"key\") in templates and code); both languages")
    lines.append("hold the same keys. See weibao/web/locale/README.md.")
    return "\n".join(f"# {line}".rstrip() for line in lines)


def write_domain(root: Path, domain: str, entries: Sequence[Entry], description: str = "") -> None:
    """Write both languages' .po files of one domain, in the order of `entries`."""
    for lang in LOCALES:
        catalog = Catalog(
            locale=LOCALES[lang], domain=domain, header_comment=header(domain, lang, description),
            project="WeiBao", version="1", copyright_holder="WeiBao", msgid_bugs_address="",
            creation_date=_FIXED, revision_date=_FIXED, last_translator="WeiBao",
            language_team=_LANGUAGE_NAMES[lang], fuzzy=False,
        )
        for entry in entries:
            catalog.add(entry.key, getattr(entry, lang), user_comments=entry.comments)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=0, no_location=True)
        # Babel fills in a placeholder address for bug reports; there is none.
        text = buffer.getvalue().replace(b'"Report-Msgid-Bugs-To: EMAIL@ADDRESS\\n"\n', b"")
        path = catalogue_path(root, lang, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)


def add(root: Path, domain: str, entry: Entry) -> None:
    """Append one key to both files of a domain, leaving the rest of each file as written."""
    if not KEY.match(entry.key):
        raise CatalogueError(f"{entry.key!r} is not a message key (letters, digits, _ . -)")
    if entry.key in load(root):
        raise CatalogueError(f"UI message key {entry.key!r} exists already")
    if not catalogue_path(root, "zh", domain).exists():
        write_domain(root, domain, [entry])
        return
    for lang in LOCALES:
        lines = [f"# {line}" for line in entry.comments]
        lines += [f"msgid {escape(entry.key)}", f"msgstr {escape(getattr(entry, lang))}"]
        with catalogue_path(root, lang, domain).open("a", encoding="utf-8") as stream:
            stream.write("\n" + "\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m weibao.web.locale_tools")
    parser.add_argument("--root", type=Path, default=LOCALE_DIR, help="the locale directory")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="read every catalogue with the start-up checks")
    adding = commands.add_parser("add", help="add one key to both languages of a domain")
    adding.add_argument("domain")
    adding.add_argument("key")
    adding.add_argument("zh")
    adding.add_argument("en")
    adding.add_argument("--comment", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        if args.command == "add":
            add(args.root, args.domain, Entry(args.key, args.zh, args.en, args.comment))
        messages = load(args.root)
    except CatalogueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(messages)} UI message keys, complete in {' and '.join(LOCALES.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
