"""One-off converter: the UI strings' Python dictionaries → Babel .po catalogues.

Until 2026-12-01 the UI strings were Python dicts ({"key": {"zh": ..., "en": ...}}): the
literal MESSAGES in weibao/web/i18n.py and one module per area in weibao/web/messages/.
This script wrote weibao/web/locale/{zh_CN,en}/LC_MESSAGES/<domain>.po from them (i18n.py's
dict → domain "messages", weibao/web/messages/<area>.py → domain "<area>"), keeping the
keys, their order and the comments above them, and the modules' docstrings as file headers.
The dictionaries were deleted in the same commit, so it runs only on a checkout from before
that commit (kept for the record and to make the conversion reproducible):

    git worktree add /tmp/before 413f2cfb51e1ad7a389baa895239ffc42a40129f
    cd /tmp/before && python scripts/messages_to_po.py [--root weibao/web/locale]

Generated keys are not written: the ticket statuses' names (status_<status>) stay defined
once, in weibao.routing.models.STATUS_NAMES, which notify and chat use too, and
weibao.web.i18n adds them beside the catalogues.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
from pathlib import Path

from weibao.routing.models import STATUS_NAMES
from weibao.web.catalogues import LOCALE_DIR, load
from weibao.web.locale_tools import Entry, write_domain

SHARED_DESCRIPTION = (
    "The shared words: search and articles, filing a ticket, priority and SLA, accounts\n"
    "and sign-in, rate limits, the audit log and the chat widget."
)


def comments_above(path: Path) -> tuple[dict[str, list[str]], str]:
    """For each message key in a module: the comment lines right above it; and the docstring."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key in node.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            above: list[str] = []
            row = key.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#"):
                above.insert(0, lines[row].strip().lstrip("#").strip())
                row -= 1
            found.setdefault(key.value, above)
    return found, ast.get_docstring(tree) or ""


def entries(messages: dict[str, dict[str, str]], comments: dict[str, list[str]]) -> list[Entry]:
    return [Entry(key, entry["zh"], entry["en"], comments.get(key, [])) for key, entry in messages.items()]


def convert(root: Path) -> dict[str, int]:
    i18n = importlib.import_module("weibao.web.i18n")
    package = importlib.import_module("weibao.web.messages")
    counts: dict[str, int] = {}
    in_areas: set[str] = set()
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"weibao.web.messages.{info.name}")
        area: dict[str, dict[str, str]] = module.MESSAGES
        comments, docstring = comments_above(Path(module.__file__ or ""))
        write_domain(root, info.name, entries(area, comments), docstring)
        in_areas |= set(area)
        counts[info.name] = len(area)
    generated = {f"status_{status}" for status in STATUS_NAMES}
    shared = {k: v for k, v in i18n.MESSAGES.items() if k not in in_areas and k not in generated}
    comments, _ = comments_above(Path(i18n.__file__ or ""))
    write_domain(root, "messages", entries(shared, comments), SHARED_DESCRIPTION)
    counts["messages"] = len(shared)
    # The round trip: the catalogues plus the generated keys give back the same dictionary.
    loaded = load(root)
    loaded.update({k: v for k, v in i18n.MESSAGES.items() if k in generated})
    assert loaded == i18n.MESSAGES, "the catalogues differ from the dictionaries"
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=LOCALE_DIR)
    args = parser.parse_args()
    counts = convert(args.root)
    for domain, count in sorted(counts.items()):
        print(f"{domain}: {count} keys")
    print(f"{sum(counts.values())} keys written under {args.root}")


if __name__ == "__main__":
    main()
