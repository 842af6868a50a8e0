"""Deterministic pictures of a prompt: a gradient, shapes seeded by the prompt, and its words.

Pure Python (the PNG is written with zlib): the same prompt, size and index always give the
same bytes. Drawing works in horizontal spans, so a 512 x 512 picture takes milliseconds.
"""

from __future__ import annotations

import hashlib
import math
import random
from functools import lru_cache

from .media import png

Colour = tuple[int, int, int]

# A 5 x 7 bitmap font: each glyph is seven rows of five bits (most significant bit leftmost).
_FONT: dict[str, tuple[int, ...]] = {
    "A": (14, 17, 17, 31, 17, 17, 17), "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14), "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31), "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15), "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14), "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17), "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17), "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14), "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13), "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30), "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14), "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10), "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 17, 10, 4, 4, 4), "Z": (31, 1, 2, 4, 8, 16, 31),
    "0": (14, 17, 19, 21, 25, 17, 14), "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31), "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2), "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14), "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14), "9": (14, 17, 17, 15, 1, 2, 12),
    ".": (0, 0, 0, 0, 0, 12, 12), ",": (0, 0, 0, 0, 12, 4, 8),
    "!": (4, 4, 4, 4, 4, 0, 4), "?": (14, 17, 1, 2, 4, 0, 4),
    "-": (0, 0, 0, 31, 0, 0, 0), "'": (4, 4, 8, 0, 0, 0, 0),
    ":": (0, 12, 12, 0, 12, 12, 0), " ": (0, 0, 0, 0, 0, 0, 0),
}  # fmt: skip
_UNKNOWN = (31, 17, 17, 17, 17, 17, 31)
_MAX_LINES = 3


class Canvas:
    """An RGB raster drawn in horizontal spans."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(width * height * 3)

    def span(self, y: int, x0: int, x1: int, colour: Colour) -> None:
        """Paint row ``y`` from ``x0`` (inclusive) to ``x1`` (exclusive), clipped."""
        if not 0 <= y < self.height:
            return
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 > x0:
            start = (y * self.width + x0) * 3
            self.pixels[start : start + (x1 - x0) * 3] = bytes(colour) * (x1 - x0)

    def rect(self, x: int, y: int, w: int, h: int, colour: Colour) -> None:
        for row in range(max(0, y), min(self.height, y + h)):
            self.span(row, x, x + w, colour)

    def circle(self, cx: int, cy: int, r: int, colour: Colour) -> None:
        for row in range(max(0, cy - r), min(self.height, cy + r + 1)):
            half = int(math.sqrt(max(0, r * r - (row - cy) ** 2)))
            self.span(row, cx - half, cx + half + 1, colour)

    def text(self, x: int, y: int, line: str, scale: int, colour: Colour) -> None:
        for index, char in enumerate(line):
            glyph = _FONT.get(char, _UNKNOWN)
            left = x + index * 6 * scale
            for gy, bits in enumerate(glyph):
                for gx in range(5):
                    if bits & (16 >> gx):
                        self.rect(left + gx * scale, y + gy * scale, scale, scale, colour)

    def png(self) -> bytes:
        return png(self.width, self.height, bytes(self.pixels))


def _wrap(words: list[str], per_line: int) -> list[str]:
    """Words in lines of at most ``per_line`` characters (long words are split)."""
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > per_line:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= per_line:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _colour(rng: random.Random, low: int, high: int) -> Colour:
    return (
        low + int(rng.random() * (high - low)),
        low + int(rng.random() * (high - low)),
        low + int(rng.random() * (high - low)),
    )


@lru_cache(maxsize=64)
def picture(prompt: str, width: int, height: int, index: int = 0) -> bytes:
    """A PNG of ``width`` x ``height`` derived from ``prompt`` (and the image's index in a batch).

    A vertical gradient and a dozen circles and rectangles whose colours and places are seeded by
    the prompt, and a band at the bottom with the prompt's words (as many lines as fit, the
    last one ending in ``...`` when the prompt is longer).
    """
    seed = int.from_bytes(hashlib.sha256(f"{index}:{prompt}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    canvas = Canvas(width, height)
    top, bottom = _colour(rng, 40, 200), _colour(rng, 20, 120)
    for row in range(height):
        canvas.span(row, 0, width, _mix(top, bottom, row / max(1, height - 1)))
    size = min(width, height)
    for _ in range(12):
        colour = _colour(rng, 60, 255)
        x, y = int(rng.random() * width), int(rng.random() * height)
        extent = max(2, int(size * (0.05 + rng.random() * 0.2)))
        if rng.random() < 0.5:
            canvas.circle(x, y, extent, colour)
        else:
            canvas.rect(x - extent, y - extent // 2, extent * 2, extent, colour)
    words = prompt.upper().split()
    scale = max(1, size // 160)
    per_line = max(1, (width - 4 * scale) // (6 * scale))
    lines = _wrap(words, per_line)
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] = lines[-1][: max(0, per_line - 3)] + "..."
    if lines:
        band = len(lines) * 9 * scale + 2 * scale
        canvas.rect(0, height - band, width, band, (245, 245, 240))
        for number, line in enumerate(lines):
            y = height - band + (1 + number * 9) * scale
            canvas.text(2 * scale, y, line, scale, (25, 25, 35))
    return canvas.png()
