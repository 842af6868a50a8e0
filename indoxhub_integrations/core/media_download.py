"""Download a media URL from an answer (an image or speech served by URL), safely.

The server's documented text-to-speech answer is ``data: {"url": ...}`` and image answers may
carry only URLs, so the tools that save files fetch them. The transport rules are the core's:
``https://``, or ``http://`` only to a loopback host (the emulator, a local gateway); no
redirects are followed (a redirect is an error naming its target's host); a size limit and a
deadline bound the download. No indoxhub key is ever sent to the media host.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from .config import is_loopback
from .errors import (
    APIConnectionError,
    APITimeoutError,
    IndoxHubError,
    InvalidRequestError,
    ProviderError,
)
from .wire import GeneratedImage, ImageResult, SpeechResult

logger = logging.getLogger("indoxhub_integrations")

MAX_MEDIA_BYTES = 50 * 1024 * 1024
"""Default size limit of one downloaded media file (50 MiB)."""
MEDIA_DEADLINE_SECONDS = 60.0
"""Default deadline of one download, connection included."""


@dataclass(frozen=True)
class Media:
    """A downloaded media file."""

    data: bytes
    """The file's bytes."""
    content_type: str | None
    """The ``Content-Type`` the host answered, without parameters."""
    url: str
    """The URL it came from."""


def check_media_url(url: str) -> str:
    """Refuse a URL the core would not fetch (before any connection is made).

    Raises:
        InvalidRequestError: Not ``https://``, nor ``http://`` to a loopback host.
    """
    parts = urlsplit(url) if isinstance(url, str) else None
    host = parts.hostname if parts else None
    if parts is None or not host or parts.scheme not in ("https", "http"):
        raise InvalidRequestError(f"Cannot download media from {url!r}: not an http(s) URL.")
    if parts.scheme == "http" and not is_loopback(host):
        raise InvalidRequestError(
            f"Refusing to download media over plain http from {host}: only https, or http to "
            "a loopback host, is allowed."
        )
    return url


def _error_for_status(response: httpx.Response, url: str) -> None:
    host = urlsplit(url).hostname
    if response.is_redirect:
        target = urlsplit(response.headers.get("location", "")).hostname or "elsewhere"
        raise ProviderError(
            f"The media URL on {host} redirects to {target}; redirects are not followed."
        )
    if response.status_code >= 400:
        raise ProviderError(f"Downloading media from {host} failed with {response.status_code}.")


def _check_length(response: httpx.Response, limit: int) -> None:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProviderError(f"The media file is larger than the limit of {limit} bytes.")


class _Download:
    """The state of one download: the deadline, the size so far and the bytes (no I/O)."""

    def __init__(self, url: str, max_bytes: int, timeout: float) -> None:
        self.url = check_media_url(url)
        self.limit = max_bytes
        self.deadline = time.monotonic() + timeout
        self.chunks: list[bytes] = []
        self.size = 0

    def open(self, response: httpx.Response) -> None:
        """Refuse a redirect, an error status or a declared size over the limit."""
        _error_for_status(response, self.url)
        _check_length(response, self.limit)

    def add(self, chunk: bytes) -> None:
        """Keep one chunk, enforcing the size limit and the deadline."""
        self.size += len(chunk)
        if self.size > self.limit:
            raise ProviderError(f"The media file is larger than the limit of {self.limit} bytes.")
        if time.monotonic() > self.deadline:
            raise APITimeoutError("Downloading the media file took longer than its deadline.")
        self.keep(chunk)

    def keep(self, chunk: bytes) -> None:
        """Store one accepted chunk (in memory here; subclasses write elsewhere)."""
        self.chunks.append(chunk)

    def media(self, response: httpx.Response) -> Media:
        """The downloaded file."""
        content_type = response.headers.get("content-type")
        kind = content_type.split(";", 1)[0].strip().lower() if content_type else None
        return Media(data=b"".join(self.chunks), content_type=kind or None, url=self.url)


def _transport_error(exc: httpx.HTTPError) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError("Downloading the media file timed out.")
    return APIConnectionError(f"Downloading the media file failed: {type(exc).__name__}.")


def download_media(
    url: str,
    *,
    max_bytes: int = MAX_MEDIA_BYTES,
    timeout: float = MEDIA_DEADLINE_SECONDS,
    transport: httpx.BaseTransport | None = None,
) -> Media:
    """Download ``url`` under the core's transport rules.

    Args:
        url: The media URL from an answer.
        max_bytes: Largest accepted file.
        timeout: Deadline of the whole download, in seconds.
        transport: An httpx transport to use instead of the network (tests).

    Raises:
        InvalidRequestError: The URL is refused (see :func:`check_media_url`).
        ProviderError: A redirect, an error status, or a file over ``max_bytes``.
        APITimeoutError: The deadline passed.
        APIConnectionError: The host could not be reached.
    """
    download = _Download(url, max_bytes, timeout)
    options: dict[str, Any] = {"follow_redirects": False, "timeout": timeout, "trust_env": False}
    try:
        with (
            httpx.Client(transport=transport, **options) as http,
            http.stream("GET", url) as response,
        ):
            download.open(response)
            for chunk in response.iter_bytes():
                download.add(chunk)
            return download.media(response)
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from None


async def adownload_media(
    url: str, *, max_bytes: int = MAX_MEDIA_BYTES, timeout: float = MEDIA_DEADLINE_SECONDS
) -> Media:
    """The async twin of :func:`download_media` (same rules, same errors)."""
    download = _Download(url, max_bytes, timeout)
    try:
        async with (
            httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False) as http,
            http.stream("GET", url) as response,
        ):
            download.open(response)
            async for chunk in response.aiter_bytes():
                download.add(chunk)
            return download.media(response)
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from None


class _FileDownload(_Download):
    """A download written to ``<target>.part`` as it arrives (same rules as :class:`_Download`),
    renamed to ``target`` once complete and removed on any failure."""

    def __init__(self, url: str, target: Path, max_bytes: int, timeout: float) -> None:
        super().__init__(url, max_bytes, timeout)
        self.target = target
        self.partial = target.with_name(target.name + ".part")
        self.file: IO[bytes] | None = None

    def __enter__(self) -> _FileDownload:
        self.file = self.partial.open("wb")
        return self

    def keep(self, chunk: bytes) -> None:
        """Write one accepted chunk to the partial file."""
        assert self.file is not None
        self.file.write(chunk)

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> None:
        assert self.file is not None
        self.file.close()
        if exc is None:
            self.partial.replace(self.target)
        else:
            self.partial.unlink(missing_ok=True)


def download_media_to(
    url: str, target: Path, *, max_bytes: int = MAX_MEDIA_BYTES,
    timeout: float = MEDIA_DEADLINE_SECONDS,
) -> Path:  # fmt: skip
    """:func:`download_media` straight into the file ``target`` (for large media: videos).

    The file appears complete or not at all. Raises as :func:`download_media`.
    """
    options: dict[str, Any] = {"follow_redirects": False, "timeout": timeout, "trust_env": False}
    try:
        with (
            _FileDownload(url, target, max_bytes, timeout) as download,
            httpx.Client(**options) as http,
            http.stream("GET", url) as response,
        ):
            download.open(response)
            for chunk in response.iter_bytes():
                download.add(chunk)
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from None
    return target


async def adownload_media_to(
    url: str, target: Path, *, max_bytes: int = MAX_MEDIA_BYTES,
    timeout: float = MEDIA_DEADLINE_SECONDS,
) -> Path:  # fmt: skip
    """The async twin of :func:`download_media_to`."""
    try:
        with _FileDownload(url, target, max_bytes, timeout) as download:
            async with (
                httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False) as http,
                http.stream("GET", url) as response,
            ):
                download.open(response)
                async for chunk in response.aiter_bytes():
                    download.add(chunk)
    except httpx.HTTPError as exc:
        raise _transport_error(exc) from None
    return target


_AUDIO_TYPES = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
                "audio/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac", "audio/aac": "aac",
                "audio/pcm": "pcm"}  # fmt: skip


def _with_speech(result: SpeechResult, media: Media) -> SpeechResult:
    fmt = result.format or _AUDIO_TYPES.get(media.content_type or "")
    return result.model_copy(update={"audio": media.data, "format": fmt})


def _with_image(image: GeneratedImage, media: Media) -> GeneratedImage:
    kind = media.content_type if (media.content_type or "").startswith("image/") else None
    return image.model_copy(update={"data": media.data, "media_type": image.media_type or kind})


def fetch_speech(result: SpeechResult, *, soft: bool = False) -> SpeechResult:
    """The result with its audio bytes downloaded when the server gave only a URL.

    Args:
        result: A text-to-speech result.
        soft: On a failed download, log a warning and return ``result`` unchanged (its
            ``url`` still set) instead of raising.
    """
    if result.audio is not None or not result.url:
        return result
    try:
        return _with_speech(result, download_media(result.url))
    except IndoxHubError as exc:
        if not soft:
            raise
        logger.warning("speech audio not downloaded from its URL: %s", exc)
        return result


async def afetch_speech(result: SpeechResult, *, soft: bool = False) -> SpeechResult:
    """The async twin of :func:`fetch_speech`."""
    if result.audio is not None or not result.url:
        return result
    try:
        return _with_speech(result, await adownload_media(result.url))
    except IndoxHubError as exc:
        if not soft:
            raise
        logger.warning("speech audio not downloaded from its URL: %s", exc)
        return result


def _needs_download(image: GeneratedImage) -> bool:
    return image.data is None and not image.b64_json and bool(image.url)


def fetch_images(result: ImageResult) -> ImageResult:
    """The result with the bytes of every URL-only image downloaded."""
    images = [
        _with_image(image, download_media(image.url)) if _needs_download(image) and image.url
        else image
        for image in result.images
    ]  # fmt: skip
    return result.model_copy(update={"images": images})


async def afetch_images(result: ImageResult) -> ImageResult:
    """The async twin of :func:`fetch_images`."""
    images = []
    for image in result.images:
        if _needs_download(image) and image.url:
            image = _with_image(image, await adownload_media(image.url))
        images.append(image)
    return result.model_copy(update={"images": images})
