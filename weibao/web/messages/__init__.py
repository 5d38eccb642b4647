"""UI string catalogues per feature area, merged into `weibao.web.i18n.MESSAGES`.

Each module here defines `MESSAGES: dict[str, dict[str, str]]` ({"key": {"zh": ..., "en": ...}}).
Areas keep their own module so that features do not edit one shared dictionary; a key
defined twice is an error at import, not a silent overwrite.
"""

from __future__ import annotations

import importlib
import pkgutil


def collect() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for key, entry in getattr(module, "MESSAGES", {}).items():
            if key in merged:
                raise ValueError(f"UI message key {key!r} defined twice (in {module_info.name})")
            if "zh" not in entry or "en" not in entry:
                raise ValueError(f"UI message key {key!r} lacks zh or en (in {module_info.name})")
            merged[key] = entry
    return merged
