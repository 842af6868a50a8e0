"""A tiny deterministic formant voice: text in, 8 kHz 16-bit PCM samples out.

Not speech recognition material, but audible and shaped like speech: one voiced sound per
syllable (a pitch period built from harmonics weighted by the vowel's two formants), a noise
burst for a leading consonant, pauses between words and after punctuation. Syllable sounds are
cached, so speaking is joining byte strings.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from array import array
from functools import lru_cache

SAMPLE_RATE = 8000
MAX_SPEECH_SECONDS = 30.0
"""Speech longer than this is cut here (the WAV's text chunk still holds the whole text)."""

_FORMANTS = {
    "a": (730, 1090), "e": (530, 1840), "i": (270, 2290),
    "o": (570, 840), "u": (300, 870), "y": (400, 1900),
}  # fmt: skip
_PERIODS = (72, 64, 56, 50)
"""Pitch periods in samples (about 111, 125, 143 and 160 Hz)."""
_VOICED = 0.14
_BURST = 0.03
_GAP, _WORD_GAP, _SENTENCE_GAP = 0.02, 0.09, 0.25
_SYLLABLE = re.compile(r"[^aeiouy]*[aeiouy]+[^aeiouy]*?(?=[^aeiouy]?[aeiouy]|$)|[^aeiouy]+")
_TOKEN = re.compile(r"[^\W_]+|[.!?;:,]")


def _silence(seconds: float) -> bytes:
    return bytes(2 * int(SAMPLE_RATE * seconds))


def _pcm(samples: list[float]) -> bytes:
    data = array("h", (max(-32767, min(32767, int(s))) for s in samples))
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


@lru_cache(maxsize=64)
def _syllable(vowel: str, period: int, onset: bool) -> bytes:
    """One syllable: an optional consonant burst, then the vowel voiced at ``period``."""
    f0 = SAMPLE_RATE / period
    first, second = _FORMANTS[vowel]
    amplitudes = []
    for k in range(1, int(3600 / f0) + 1):
        f = k * f0
        gain = 1 / (1 + ((f - first) / 90) ** 2) + 0.6 / (1 + ((f - second) / 120) ** 2)
        amplitudes.append((k, gain / math.sqrt(k)))
    wave = [
        sum(a * math.sin(2 * math.pi * k * i / period) for k, a in amplitudes)
        for i in range(period)
    ]
    peak = max(abs(v) for v in wave) or 1.0
    count = int(SAMPLE_RATE * _VOICED)
    attack, release = int(SAMPLE_RATE * 0.015), int(SAMPLE_RATE * 0.05)
    samples: list[float] = []
    if onset:
        state = 12345
        for i in range(int(SAMPLE_RATE * _BURST)):
            state = (1103515245 * state + 12345) & 0x7FFFFFFF
            samples.append((state / 0x3FFFFFFF - 1) * 2500 * (1 - i / (SAMPLE_RATE * _BURST)))
    for i in range(count):
        envelope = min(1.0, i / attack, (count - i) / release)
        samples.append(wave[i % period] / peak * 9000 * envelope)
    return _pcm(samples)


def syllables(word: str) -> list[str]:
    """A rough split of ``word`` into syllables (vowel groups with their consonants)."""
    return _SYLLABLE.findall(word.lower()) or [word]


def voice(text: str) -> bytes:
    """The PCM samples (16-bit little-endian, mono, 8 kHz) of ``text`` spoken."""
    parts: list[bytes] = []
    size, limit = 0, int(2 * SAMPLE_RATE * MAX_SPEECH_SECONDS)
    for token in _TOKEN.findall(text):
        if token in ".!?;:,":
            parts.append(_silence(_SENTENCE_GAP if token in ".!?" else _WORD_GAP))
            continue
        for syllable in syllables(token):
            vowel = next((c for c in syllable if c in _FORMANTS), "a")
            digest = hashlib.sha256(syllable.encode()).digest()
            sound = _syllable(vowel, _PERIODS[digest[0] % len(_PERIODS)], syllable[0] != vowel)
            parts += (sound, _silence(_GAP))
        parts.append(_silence(_WORD_GAP))
        size = sum(len(p) for p in parts)
        if size >= limit:
            break
    if not parts:
        parts.append(_silence(0.2))
    return b"".join(parts)[:limit]
