"""Fixtures of the LangChain adapter tests."""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# --import-mode=importlib leaves sys.path alone: make this folder's helper module importable.
sys.path.insert(0, str(Path(__file__).parent))


def tiny_png(width: int = 4, height: int = 4) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def offline_media(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Serve the sample media langchain-tests downloads from a local copy (no network here).

    Like a VCR cassette: ``httpx.get`` of a sample image URL answers a small PNG; every
    other URL raises, so nothing leaves the machine. Yields the URLs that were served.
    """
    served: list[str] = []
    png = tiny_png()

    def fake_get(url: str, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url).endswith((".png", ".jpg", ".jpeg")):
            served.append(str(url))
            return httpx.Response(200, content=png, request=httpx.Request("GET", url))
        raise httpx.ConnectError(f"offline test: no download of {url}")

    monkeypatch.setattr(httpx, "get", fake_get)
    yield served
