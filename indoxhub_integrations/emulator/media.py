"""Valid media files: the PNG writer and WAV speech that records its text."""

from __future__ import annotations

import struct
import zlib

from .voice import SAMPLE_RATE, voice

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNK = b"ixht"
"""The custom RIFF chunk in which emulator speech stores the spoken text (UTF-8)."""


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


MAX_SIDE = 512
"""Emulator images are at most this many pixels on their longer side."""
_DEFAULT_SIDE = 512


def png(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` from row-major RGB ``pixels``."""
    stride = width * 3
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(raw, 6)),
            _png_chunk(b"IEND", b""),
        )
    )


def requested_shape(size: str | None, aspect_ratio: str | None) -> tuple[int, int] | None:
    """The width and height a request asks for: ``size`` (``"WxH"``), else ``aspect_ratio``
    (``"W:H"``); ``None`` when neither is given or readable (or one side is not positive)."""
    text, separator = (size.lower(), "x") if size else (aspect_ratio, ":")
    if not text:
        return None
    w, _, h = text.partition(separator)
    try:
        width, height = int(w), int(h)
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def image_size(size: str | None = None, aspect_ratio: str | None = None) -> tuple[int, int]:
    """The pixel size of an emulator image: the requested ``size`` (``"WxH"``) or
    ``aspect_ratio`` (``"W:H"``), scaled down so that the longer side is at most
    :data:`MAX_SIDE`; 512 x 512 when neither is given (or cannot be read)."""
    shape = requested_shape(size, aspect_ratio)
    if shape is None:
        return _DEFAULT_SIDE, _DEFAULT_SIDE
    width, height = shape
    if not size:  # a ratio: as large as allowed
        width, height = width * MAX_SIDE, height * MAX_SIDE
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def wav(text: str) -> bytes:
    """A mono 16-bit PCM WAV at 8 kHz that speaks ``text`` (and records it in an ``ixht`` chunk).

    The voice is a crude formant synthesiser: one voiced sound per syllable, its vowel's
    formants and a pitch seeded by the syllable, a noise burst for a leading consonant, pauses
    between words and after punctuation. At most :data:`.voice.MAX_SPEECH_SECONDS` of audio;
    the text chunk always holds the whole text, so speech to text returns it exactly.
    """
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    chunks = [
        _riff_chunk(b"fmt ", fmt),
        _riff_chunk(TEXT_CHUNK, text.encode()),
        _riff_chunk(b"data", voice(text)),
    ]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


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
