"""Trained models on disk: a pickled {"format": N, "model": object}, written atomically.

`weibao train` writes them into the data folder; servers read them when the file changes.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def write_model_file(path: Path, model: object, format_version: int) -> int:
    """Writes atomically (a reader never sees half a file); returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    pickle.dump({"format": format_version, "model": model}, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)
    return len(buffer.getvalue())


def read_model_file(
    path: Path, format_version: int, kind: type[T], name: str, error: type[Exception]
) -> T | None:
    """The `kind` saved at `path`, or None when there is none yet; `error` naming the file
    and the `name` of the model when it is truncated, foreign or of another format."""
    if not path.exists():
        return None
    try:
        payload = pickle.loads(path.read_bytes())
    except Exception as exc:  # a truncated or foreign file must say which one
        raise error(f"cannot read the {name} at {path}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != format_version \
            or not isinstance(payload.get("model"), kind):
        article = "an" if name[:1] in "aeiou" else "a"
        raise error(f"{path}: not {article} {name} of format {format_version}; run `weibao train`")
    model: T = payload["model"]
    return model
