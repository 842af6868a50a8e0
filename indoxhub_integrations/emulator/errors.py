"""Error answers in the three documented body forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ApiError(Exception):
    """An error answer: raised by a handler, rendered by the dispatcher.

    ``body`` is the JSON body; ``request_id`` placeholders are filled in by the dispatcher for
    envelope bodies.
    """

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def finish(self, request_id: str) -> dict[str, Any]:
        """The body, with the request id filled in where the form carries one."""
        if "request_id" in self.body and self.body["request_id"] is None:
            self.body["request_id"] = request_id
        return self.body


def detail(status: int, text: str, headers: dict[str, str] | None = None) -> ApiError:
    """``{"detail": "<text>"}``."""
    return ApiError(status, {"detail": text}, headers)


def envelope(
    status: int,
    error: str,
    message: str,
    details: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> ApiError:
    """``{"success": false, "error", "message", "status_code", "request_id", "details"}``.

    ``detail`` repeats the message so that parsers reading either key find it.
    """
    body = {
        "success": False,
        "error": error,
        "message": message,
        "detail": message,
        "status_code": status,
        "request_id": None,
        "details": details,
    }
    return ApiError(status, body, headers)


class Problems:
    """Collects FastAPI-style validation errors: ``{"loc", "msg", "type"}``."""

    _TYPES: dict[str, tuple[str, str]] = {
        "str": ("string_type", "Input should be a valid string"),
        "int": ("int_type", "Input should be a valid integer"),
        "float": ("float_type", "Input should be a valid number"),
        "bool": ("bool_type", "Input should be a valid boolean"),
        "dict": ("dict_type", "Input should be a valid dictionary"),
        "list": ("list_type", "Input should be a valid list"),
        "file": ("value_error", "Expected UploadFile, received: <class 'str'>"),
    }

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, loc: Sequence[str | int], msg: str, kind: str, **ctx: Any) -> None:
        item: dict[str, Any] = {"type": kind, "loc": list(loc), "msg": msg}
        if ctx:
            item["ctx"] = ctx
        self.items.append(item)

    def missing(self, loc: Sequence[str | int]) -> None:
        self.add(loc, "Field required", "missing")

    def wrong_type(self, loc: Sequence[str | int], kind: str) -> None:
        error_type, msg = self._TYPES[kind]
        self.add(loc, msg, error_type)

    def raise_if_any(self) -> None:
        if self.items:
            raise ApiError(422, {"detail": self.items})
