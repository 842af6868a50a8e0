"""Small value helpers shared by the parsers (and the stream assembler, catalog and content
modules): public names of one private module, so no module imports another's underscores."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .errors import ProviderError

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""A shared, read-only empty mapping."""

BYPASS_HEADERS = ("x-ratelimit-bypass", "x-rate-limit-bypass")
"""The response headers that mark a BYOK request (the platform rate limit bypassed)."""
_AUDIO_ALIASES = {"mpeg": "mp3", "mpga": "mp3", "x-wav": "wav", "wave": "wav", "vnd.wave": "wav"}


def shape_error(body: Any, what: str) -> ProviderError:
    """Build the error for a body of an unrecognised shape (keys only, never values)."""
    if isinstance(body, Mapping):
        found = "top-level keys: " + (", ".join(sorted(str(key) for key in body)) or "none")
    else:
        found = f"a JSON {type(body).__name__}"
    return ProviderError(
        f"indoxhub returned a response of an unrecognised shape for {what} ({found})"
    )


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Return the headers with lower-cased names (any Mapping, e.g. ``httpx.Headers``)."""
    return {str(key).lower(): str(value) for key, value in headers.items()} if headers else {}


def as_map(value: Any) -> Mapping[str, Any]:
    """The value if it is a mapping, else an empty one."""
    if isinstance(value, dict):  # fast path: the ABC check below is slow
        return value
    return value if isinstance(value, Mapping) else EMPTY


def as_str(value: Any) -> str | None:
    """The value if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def first_str(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((mapping[key] for key in keys if as_str(mapping.get(key))), None)


def as_num(value: Any) -> float | None:
    """Return a number (or numeric string) as float; None for anything else, bools included."""
    kind = type(value)
    if kind is float:  # fast paths (called per float of every embedding vector)
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value.strip().lstrip("$")) if isinstance(value, str) else None
    except ValueError:
        return None


def as_int(*values: Any) -> int | None:
    """Return the first of ``values`` that is a number, as int."""
    for value in values:
        if value is not None:
            number = as_num(value)
            if number is not None and math.isfinite(number):
                return int(number)
    return None


def get_path(mapping: Any, *path: str) -> Any:
    """Follow ``path`` through nested mappings; None where a step is missing."""
    for key in path:
        if type(mapping) is dict or isinstance(mapping, Mapping):  # dict first: the ABC is slow
            mapping = mapping.get(key)
        else:
            mapping = None
    return mapping


def b64decode(text: str) -> bytes | None:
    """Decode base64 (standard or URL-safe, padding optional, data URL allowed); None if bad."""
    text = "".join(text.split(",", 1)[1].split() if text.startswith("data:") else text.split())
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type image bytes prove by their magic number, or ``None`` (the one sniffer)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/gif" if data[:6] in (b"GIF87a", b"GIF89a") else None


def audio_format(data: bytes) -> str | None:
    """Guess an audio format from its magic bytes."""
    if data[:4] == b"RIFF":
        return "wav"
    if data.startswith(b"ID3") or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    magic = {b"OggS": "ogg", b"fLaC": "flac"}.get(data[:4])
    return magic or ("aac" if data[:2] in (b"\xff\xf1", b"\xff\xf9") else None)


def audio_format_from_type(value: Any) -> str | None:
    """Map ``mp3`` or a content type such as ``audio/mpeg; codecs=...`` to a format name."""
    if not as_str(value) or not value.strip():
        return None
    subtype = value.split(";", 1)[0].strip().lower().rsplit("/", 1)[-1]
    subtype = _AUDIO_ALIASES.get(subtype, subtype)
    return None if subtype in ("octet-stream", "binary", "json") else subtype
