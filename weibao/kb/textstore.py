"""Passage texts and tokens kept on disk, read back for the few passages a search shows.

The index holds no passage text in memory (issue 12: resident memory per chunk): each row
records where its record lies, (segment, offset, length), and `TextStore.read` fetches it
with one `pread` (no mapping, so reads do not grow the process's resident set).

Segments are append-only files: the `texts.bin` of the snapshot the index was loaded from
or last wrote (read-only; an open file stays readable after a newer snapshot prunes it) and
one spill file per process for passages added since, created unnamed (`O_TMPFILE`) in the
index folder, so it is never shared with another process and vanishes with this one. When
this process writes a snapshot, its rows move to that snapshot's file and a fresh spill file
starts (`SearchIndex.adopt_snapshot_texts`); the segments no row points at are retired and
closed one retirement later, as a reader outside the index lock may still hold a place in
them (a read takes microseconds; retirements are a snapshot interval apart).

A record is the UTF-8 text behind a 4-byte length, then the tokens as a JSON list.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import threading
from collections.abc import Iterable, Sequence
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
        self._files: list[BinaryIO | None] = []  # by segment number; None: a free slot
        self._spill: int | None = None
        self._spill_end = 0
        self._spill_dir = spill_dir
        self._retired: list[BinaryIO] = []  # closed at the next retirement
        self._closing: list[BinaryIO] = []  # retired twice over: close_retired() closes them
        self._lock = threading.Lock()

    def _slot(self, fh: BinaryIO) -> int:
        """A segment number for `fh`: a free one first (numbers are uint16 in the index)."""
        for i, held in enumerate(self._files):
            if held is None:
                self._files[i] = fh
                return i
        self._files.append(fh)
        return len(self._files) - 1

    def open_segment(self, path: Path) -> int:
        """Adds a finished file (a snapshot's texts.bin) as a read-only segment."""
        with self._lock:
            return self._slot(open(path, "rb"))  # kept open for reads

    def restart_spill(self) -> None:
        """Later appends go to a new spill file (the current one stays readable until retired)."""
        with self._lock:
            self._spill = None
            self._spill_end = 0

    def retire(self, segments: Iterable[int]) -> None:
        """Frees these segments' numbers; their files close after the next retirement
        (a read that fetched one just before has long finished), in `close_retired`."""
        with self._lock:
            self._closing += self._retired
            self._retired = []
            for segment in segments:
                held = self._files[segment]
                if held is not None and segment != self._spill:
                    self._retired.append(held)
                    self._files[segment] = None

    def close_retired(self) -> None:
        """Closes the files of the retirement before the last. Apart from `retire`, which
        runs under the index's locks: closing the last handle of a deleted snapshot's
        300 MB texts.bin frees its blocks, and took 0.1 s of stalled writes and searches."""
        with self._lock:
            files, self._closing = self._closing, []
        for fh in files:
            fh.close()

    @property
    def open_segments(self) -> int:
        """Files held open, retired ones included."""
        return sum(fh is not None for fh in self._files) + len(self._retired) + len(self._closing)

    def append(self, record: bytes) -> tuple[int, int]:
        """Writes `record` to this process's spill file; returns (segment, offset)."""
        with self._lock:
            if self._spill is None:
                folder = self._spill_dir
                if folder is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                self._spill = self._slot(tempfile.TemporaryFile(dir=folder))  # noqa: SIM115
            offset = self._spill_end
            spill = self._files[self._spill]
            assert spill is not None
            fd = spill.fileno()
            written = 0
            while written < len(record):
                written += os.pwrite(fd, record[written:], offset + written)
            self._spill_end += len(record)
            return self._spill, offset

    def read(self, segment: int, offset: int, length: int) -> bytes:
        fh = self._files[segment]
        if fh is None:
            raise OSError(f"text segment {segment} is retired")
        data = os.pread(fh.fileno(), length, offset)
        if len(data) != length:
            raise OSError(f"text segment {segment}: short read at {offset}")
        return data

    @property
    def spill_bytes(self) -> int:
        return self._spill_end

    def close(self) -> None:
        with self._lock:
            for fh in [*self._files, *self._retired, *self._closing]:
                if fh is not None:
                    fh.close()
            self._files = []
            self._retired = []
            self._closing = []
            self._spill = None
