"""Passage texts and tokens kept on disk, read back for the few passages a search shows.

The index holds no passage text in memory (issue 12: resident memory per chunk): each row
records where its record lies, (segment, offset, length), and `TextStore.read` fetches it
with one `pread` (no mapping, so reads do not grow the process's resident set).

Segments are append-only files: the `texts.bin` of the snapshot the index was loaded from
(read-only; an open file stays readable after a newer snapshot prunes it) and one spill
file per process for passages added since, created unnamed (`O_TMPFILE`) in the index
folder, so it is never shared with another process and vanishes with this one.

A record is the UTF-8 text behind a 4-byte length, then the tokens as a JSON list.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

_LENGTH = struct.Struct("<I")


def encode_record(text: str, tokens: Sequence[str]) -> bytes:
    body = text.encode("utf-8")
    tail = json.dumps(list(tokens), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _LENGTH.pack(len(body)) + body + tail


def record_text(record: bytes) -> str:
    (size,) = _LENGTH.unpack_from(record)
    return record[4 : 4 + size].decode("utf-8")


def record_tokens(record: bytes) -> list[str]:
    (size,) = _LENGTH.unpack_from(record)
    tokens = json.loads(record[4 + size :].decode("utf-8"))
    if not isinstance(tokens, list):
        raise ValueError("a text record's tokens are not a list")
    return [str(t) for t in tokens]


class TextStore:
    """Append-only segments of records; thread-safe appends, lock-free reads."""

    def __init__(self, spill_dir: Path | None = None) -> None:
        self._files: list[BinaryIO] = []
        self._spill: int | None = None
        self._spill_end = 0
        self._spill_dir = spill_dir
        self._lock = threading.Lock()

    def open_segment(self, path: Path) -> int:
        """Adds a finished file (a snapshot's texts.bin) as a read-only segment."""
        with self._lock:
            self._files.append(open(path, "rb"))  # noqa: SIM115 - kept open for reads
            return len(self._files) - 1

    def append(self, record: bytes) -> tuple[int, int]:
        """Writes `record` to this process's spill file; returns (segment, offset)."""
        with self._lock:
            if self._spill is None:
                folder = self._spill_dir
                if folder is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                self._files.append(tempfile.TemporaryFile(dir=folder))  # noqa: SIM115
                self._spill = len(self._files) - 1
            offset = self._spill_end
            fd = self._files[self._spill].fileno()
            written = 0
            while written < len(record):
                written += os.pwrite(fd, record[written:], offset + written)
            self._spill_end += len(record)
            return self._spill, offset

    def read(self, segment: int, offset: int, length: int) -> bytes:
        data = os.pread(self._files[segment].fileno(), length, offset)
        if len(data) != length:
            raise OSError(f"text segment {segment}: short read at {offset}")
        return data

    @property
    def spill_bytes(self) -> int:
        return self._spill_end

    def close(self) -> None:
        with self._lock:
            for fh in self._files:
                fh.close()
            self._files = []
            self._spill = None
