"""Framework-neutral building blocks the adapters share: content parts, tool calls and choices,
parameter merging, and saving generated media (pure, apart from the file writes)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._values import sniff_image_type
from .errors import InvalidRequestError
from .parsing import parse_arguments as parse_arguments
from .parsing import tool_call
from .wire import GeneratedImage, ToolCall, ToolCallChunk


def text_part(text: str) -> dict[str, Any]:
    """An indoxhub text content part."""
    return {"type": "text", "text": text}


def image_part_from_bytes(data: bytes, media_type: str | None = None) -> dict[str, Any]:
    """An indoxhub image part carrying the image inline as base64."""
    return {
        "type": "image",
        "image": {
            "data": base64.b64encode(data).decode("ascii"),
            "media_type": media_type or guess_image_type(data),
        },
    }


def image_part_from_base64(data: str, media_type: str | None = None) -> dict[str, Any]:
    """An indoxhub image part from base64 text (validated, not re-encoded)."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("Image data is not valid base64.") from None
    return {
        "type": "image",
        "image": {"data": data, "media_type": media_type or guess_image_type(raw)},
    }


def image_part_from_url(url: str) -> dict[str, Any]:
    """An indoxhub image part from an ``https://`` URL or a ``data:`` URL."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        if ";base64" not in header or not payload:
            raise InvalidRequestError(
                "Only base64 data URLs are supported for images: 'data:image/png;base64,...'."
            )
        media_type = header[5:].split(";", 1)[0] or None
        return image_part_from_base64(payload, media_type)
    if not url.startswith(("http://", "https://")):
        raise InvalidRequestError(f"Image URL must be http(s) or a data URL, got {url[:40]!r}.")
    return {"type": "image", "image": {"url": url}}


def image_part_from_path(path: str | Path) -> dict[str, Any]:
    """An indoxhub image part from a local image file."""
    file = Path(path)
    if not file.is_file():
        raise InvalidRequestError(f"Image file {str(file)!r} does not exist.")
    media_type = mimetypes.guess_type(file.name)[0]
    return image_part_from_bytes(file.read_bytes(), media_type)


def guess_image_type(data: bytes) -> str:
    """The MIME type of image bytes, from their magic number (PNG when unsure)."""
    return sniff_image_type(data) or "image/png"


def wire_arguments(call: ToolCall) -> str:
    """The arguments string of a call: the text as received for an invalid call."""
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def tool_calls_to_wire(tool_calls: Iterable[ToolCall]) -> list[dict[str, Any]]:
    """Assistant ``tool_calls`` in the OpenAI form indoxhub expects in message history."""
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": wire_arguments(call)},
        }
        for call in tool_calls
    ]


def tool_choice_to_wire(choice: Any, tool_names: Sequence[str]) -> Any:
    """Normalize every ``tool_choice`` form frameworks pass to indoxhub's OpenAI form.

    Accepts ``"auto"``, ``"none"``, ``"required"``, ``"any"`` or ``True`` (required), a tool
    name, or a dict (``{"type": "function", "function": {"name": ...}}`` or ``{"name": ...}``).

    Raises:
        InvalidRequestError: For a name that is not among ``tool_names`` or an unknown form.
    """
    if choice is None or choice is False:
        return None
    if choice is True or choice in ("any", "required"):
        return "required"
    if choice in ("auto", "none"):
        return choice
    if isinstance(choice, str):
        name = choice
    elif isinstance(choice, Mapping):
        function = choice.get("function")
        found = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if not isinstance(found, str):
            raise InvalidRequestError(f"tool_choice dict {dict(choice)!r} names no function.")
        name = found
    else:
        raise InvalidRequestError(
            f"tool_choice {choice!r} is not understood: use 'auto', 'none', 'required', a tool "
            "name or {'type': 'function', 'function': {'name': ...}}."
        )
    if tool_names and name not in tool_names:
        raise InvalidRequestError(
            f"tool_choice names {name!r}, which is not among the bound tools {list(tool_names)}."
        )
    return {"type": "function", "function": {"name": name}}


def join_tool_call_chunks(chunks: Iterable[ToolCallChunk]) -> list[ToolCall]:
    """Join streamed tool-call fragments (by ``index``) into whole tool calls."""
    parts: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        entry = parts.setdefault(chunk.index, {"id": None, "name": None, "args": ""})
        entry["id"] = entry["id"] or chunk.id
        entry["name"] = entry["name"] or chunk.name
        entry["args"] += chunk.arguments_delta
    calls = []
    for index in sorted(parts):
        entry = parts[index]
        calls.append(tool_call(entry["id"] or f"call_{index}", entry["name"] or "", entry["args"]))
    return calls


def merge_params(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge parameter dicts, later layers winning; nested ``additional_params`` merge too."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if key == "additional_params" and isinstance(value, Mapping):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def save_image(image: GeneratedImage, output_dir: str | Path, stem: str) -> Path | None:
    """Write an image's decoded bytes to ``output_dir`` (created if needed); ``None`` when it
    has none.

    The file name is ``stem`` plus a short content hash, so repeated calls never overwrite; the
    extension comes from the image's type (never a server-chosen path).
    """
    data = image.data
    if data is None:
        return None
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    extension = _EXTENSIONS.get(image.media_type or "", "") or _EXTENSIONS.get(
        guess_image_type(data) or "", "png"
    )
    path = folder / f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}.{extension}"
    path.write_bytes(data)
    return path


def safe_extension(value: str | None, default: str) -> str:
    """A file extension from a server-given format: letters and digits only, at most 8."""
    text = (value or "").lower().strip().lstrip(".")
    if not text or len(text) > 8 or not text.isascii() or not text.isalnum():
        return default
    return text


def save_audio(audio: bytes, output_dir: str | Path, stem: str, audio_format: str | None) -> Path:
    """Write audio bytes to ``output_dir`` and return the path (the format is sanitized: a
    server-given ``format`` such as ``../x`` cannot choose where the file goes)."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    extension = safe_extension(audio_format, "mp3")
    path = folder / f"{stem}-{hashlib.sha256(audio).hexdigest()[:12]}.{extension}"
    path.write_bytes(audio)
    return path


def file_under_root(path: str | Path, root_dir: str | Path | None) -> Path:
    """The file ``path`` names, refused unless it lies under ``root_dir`` (default: the
    current working directory).

    Tools whose path comes from a model use this, as LangChain's file-system tools do: an
    absolute path outside the root, a ``..`` escape or a symlink out of it is refused.

    Raises:
        InvalidRequestError: When the file is outside ``root_dir``.
    """
    if not isinstance(path, str | Path) or not str(path).strip():
        raise InvalidRequestError("The audio path must be a non-empty string.")
    root = Path(root_dir if root_dir is not None else Path.cwd()).resolve()
    candidate = Path(path).expanduser()
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise InvalidRequestError(
            f"The file {str(path)!r:.200} is outside the tool's root_dir ({root}): this tool "
            "only reads files under root_dir. Move the file there, or set root_dir to the "
            "folder that holds it."
        )
    return resolved
