"""Tiny but valid media files: PNG images and WAV speech that records its text."""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from functools import lru_cache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNK = b"ixht"
"""The custom RIFF chunk in which emulator speech stores the spoken text (UTF-8)."""

SAMPLE_RATE = 8000
_TONE_SECONDS = 0.25


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def colour_for(text: str, index: int = 0) -> tuple[int, int, int]:
    """A colour derived from ``text`` (and the image's index in a batch)."""
    digest = hashlib.sha256(f"{index}:{text}".encode()).digest()
    return digest[0], digest[1], digest[2]


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG of ``width`` x ``height`` pixels."""
    width = max(1, min(width, 64))
    height = max(1, min(height, 64))
    row = b"\x00" + bytes(colour) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(raw)),
            _png_chunk(b"IEND", b""),
        )
    )


def thumbnail_size(size: str | None = None, aspect_ratio: str | None = None) -> tuple[int, int]:
    """The pixel size of an emulator image: the requested shape scaled down to 16 pixels."""
    width, height = 1, 1
    try:
        if size:
            w, _, h = size.lower().partition("x")
            width, height = int(w), int(h)
        elif aspect_ratio:
            w, _, h = aspect_ratio.partition(":")
            width, height = int(w), int(h)
    except ValueError:
        width, height = 1, 1
    if width <= 0 or height <= 0:
        width, height = 1, 1
    scale = 16 / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def wav(text: str) -> bytes:
    """A mono 16-bit PCM WAV at 8 kHz: a short tone, with ``text`` in an ``ixht`` chunk."""
    digest = hashlib.sha256(text.encode()).digest()
    samples = _tone(300 + digest[0] * 2)
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    encoded = text.encode()
    chunks = [
        _riff_chunk(b"fmt ", fmt),
        _riff_chunk(TEXT_CHUNK, encoded),
        _riff_chunk(b"data", samples),
    ]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


@lru_cache(maxsize=256)
def _tone(frequency: int) -> bytes:
    count = int(SAMPLE_RATE * _TONE_SECONDS)
    step = 2 * math.pi * frequency / SAMPLE_RATE
    return struct.pack(f"<{count}h", *(int(8000 * math.sin(step * i)) for i in range(count)))


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    pad = b"\x00" if len(data) % 2 else b""
    return kind + struct.pack("<I", len(data)) + data + pad


def wav_text(data: bytes) -> str | None:
    """The text an emulator WAV records, or ``None`` for any other file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        start = offset + 8
        if kind == TEXT_CHUNK:
            return data[start : start + size].decode("utf-8", errors="replace")
        offset = start + size + (size % 2)
    return None


def wav_seconds(data: bytes) -> float:
    """The duration of a PCM WAV (0.0 when it is not one the emulator can read)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return 0.0
    offset, byte_rate, frames = 12, 0, 0
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if kind == b"fmt " and size >= 16:
            byte_rate = struct.unpack("<I", data[offset + 16 : offset + 20])[0]
        elif kind == b"data":
            frames = min(size, len(data) - offset - 8)
        offset += 8 + size + (size % 2)
    return frames / byte_rate if byte_rate else 0.0
