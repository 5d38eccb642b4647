"""Tiny real video files built in the tests: MP4 boxes (ftyp, moov down to the sample
descriptions, mdat) and a WebM EBML header with a Segment — enough for the byte checks of
weibao.kb.videos, not enough to play."""

from __future__ import annotations

import struct


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(codecs: tuple[bytes, ...] = (b"avc1", b"mp4a"), brand: bytes = b"isom",
        compatible: tuple[bytes, ...] = (b"isom", b"avc1")) -> bytes:
    ftyp = box(b"ftyp", brand + struct.pack(">I", 512) + b"".join(compatible))
    traks = b"".join(
        box(b"trak", box(b"tkhd", bytes(84)) + box(b"mdia", box(b"mdhd", bytes(24)) + box(b"minf", box(
            b"stbl", box(b"stsd", struct.pack(">II", 0, 1) + box(codec, bytes(78))) + box(b"stts", bytes(8)),
        ))))
        for codec in codecs
    )
    return ftyp + box(b"moov", box(b"mvhd", bytes(100)) + traks) + box(b"mdat", bytes(64))


def _element(element_id: bytes, payload: bytes) -> bytes:
    assert len(payload) < 127
    return element_id + bytes([0x80 | len(payload)]) + payload


def webm(doctype: bytes = b"webm") -> bytes:
    header = _element(b"\x1a\x45\xdf\xa3", (
        _element(b"\x42\x86", b"\x01") + _element(b"\x42\xf7", b"\x01") + _element(b"\x42\x82", doctype)
        + _element(b"\x42\x87", b"\x04") + _element(b"\x42\x85", b"\x02")
    ))
    # A Segment of unknown size holding an empty Info element.
    return header + b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + _element(b"\x15\x49\xa9\x66", b"")
