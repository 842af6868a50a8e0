"""Build a JSON value that satisfies a JSON schema, using values found in a user's message.

Used for tool-call arguments (required properties only) and for ``json_schema`` answers
(every property). Strings take a ``name: value`` from the message, else the next quoted
string, else the whole message; numbers take a ``name: 3`` from the message, else the next
number in it; enums take their first value; booleans are ``true``; objects and arrays recurse.
Junk schemas never raise: whatever cannot be understood becomes a string. Pathological
schemas (self-recursive, huge ``minItems``/``minLength``) are cut short by a size budget.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

_MAX_DEPTH = 12
_MAX_NODES = 2000
"""Values built per call; past it, recursive or huge schemas get minimal values."""
_MAX_ITEMS = 64
_MAX_LENGTH = 10_000
_QUOTED = re.compile(r"\"([^\"]+)\"|(?<!\w)'([^']+)'(?!\w)|“([^”]+)”")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_FORMATS: dict[str, str] = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


class ValueSource:
    """The values a user's message offers: named values, quoted strings, numbers, its text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._quoted = deque(next(g for g in m.groups() if g) for m in _QUOTED.finditer(text))
        self._numbers = deque(m.group(0) for m in _NUMBER.finditer(text))

    def named(self, name: str) -> str | None:
        """The value written as ``name: value``, ``name=value`` or ``name is value``."""
        if not name or not self.text:
            return None
        for spelling in {name, name.replace("_", " ")}:
            pattern = (
                rf"\b{re.escape(spelling)}\b\s*(?:[:=]|\bis\b)\s*"
                r"(?:\"([^\"]*)\"|'([^']*)'|([^\s,;]+))"
            )
            match = re.search(pattern, self.text, flags=re.IGNORECASE)
            if match:
                return next((g for g in match.groups() if g is not None), None)
        return None

    def string(self, name: str) -> str:
        named = self.named(name)
        if named:
            return named
        if self._quoted:
            return self._quoted.popleft()
        return self.text

    def number(self, name: str) -> float | None:
        named = self.named(name)
        if named is not None and _NUMBER.fullmatch(named):
            return float(named)
        if self._numbers:
            return float(self._numbers.popleft())
        return None


def build_value(
    schema: Any, source: ValueSource, *, all_properties: bool = False, name: str = ""
) -> Any:
    """Return a value valid for ``schema`` (as far as the schema can be understood)."""
    root = schema if isinstance(schema, dict) else {}
    return _Builder(root, source, all_properties).build(schema, name, 0)


class _Builder:
    def __init__(self, root: dict[str, Any], source: ValueSource, all_properties: bool) -> None:
        self.root = root
        self.source = source
        self.all_properties = all_properties
        self.nodes = 0

    def build(self, schema: Any, name: str, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES or depth > _MAX_DEPTH:
            return None
        if not isinstance(schema, dict):
            return self.source.string(name)
        schema = self._resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self.build(_first_non_null(options), name, depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            own = {k: v for k, v in schema.items() if k != "allOf"}
            parts = [self._resolve(s, depth) for s in all_of if isinstance(s, dict)]
            return self.build(_merge([own, *parts]), name, depth + 1)
        kind = _schema_type(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return self._number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def _resolve(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
            target = _pointer(self.root, schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
            seen += 1
        return schema

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        if self.all_properties and self.nodes < _MAX_NODES // 2:
            names = list(dict.fromkeys([*properties, *names]))
        return {key: self.build(properties.get(key, {}), key, depth + 1) for key in names}

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        low = _int(schema.get("minItems"), 1)
        high = _int(schema.get("maxItems"), None)
        count = min(max(1, low or 1), _MAX_ITEMS)
        if high is not None:
            count = max(0, min(count, high))
        values: list[Any] = []
        for index in range(count):
            if isinstance(prefix, list) and index < len(prefix):
                item = prefix[index]
            elif isinstance(items, list):
                item = items[index] if index < len(items) else {}
            else:
                item = items if isinstance(items, dict) else {}
            values.append(self.build(item, name, depth + 1))
        if schema.get("uniqueItems") and len(values) > 1:
            values = [
                f"{v} {i}" if isinstance(v, str) else v + i if _is_number(v) else v
                for i, v in enumerate(values)
            ]
        return values

    def _number(self, schema: dict[str, Any], name: str, *, integer: bool) -> float | int:
        value = self.source.number(name)
        if value is None:
            value = 0.0
        low = _num(schema.get("minimum"))
        high = _num(schema.get("maximum"))
        exclusive_low = _num(schema.get("exclusiveMinimum"))
        exclusive_high = _num(schema.get("exclusiveMaximum"))
        if low is not None and value < low:
            value = low
        if exclusive_low is not None and value <= exclusive_low:
            value = exclusive_low + 1
        if high is not None and value > high:
            value = high
        if exclusive_high is not None and value >= exclusive_high:
            value = exclusive_high - 1
        if integer:
            result = int(value)
            too_low = (low is not None and result < low) or (
                exclusive_low is not None and result <= exclusive_low
            )
            return result + 1 if too_low else result
        return int(value) if value.is_integer() else value

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        value = _FORMATS.get(fmt) if isinstance(fmt, str) else None
        if value is None:
            value = self.source.string(name)
        low = min(_int(schema.get("minLength"), 0) or 0, _MAX_LENGTH)
        high = _int(schema.get("maxLength"), None)
        if len(value) < low:
            value = value + "x" * (low - len(value))
        if high is not None and len(value) > high:
            value = value[: max(0, high)]
        return value


def _schema_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str) and k != "null"]
        kind = kinds[0] if kinds else ("null" if "null" in kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _first_non_null(options: list[Any]) -> Any:
    for option in options:
        if not (isinstance(option, dict) and option.get("type") == "null"):
            return option
    return options[0]


def _merge(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[Any] = []
    for schema in schemas:
        merged.update(schema)
        if isinstance(schema.get("properties"), dict):
            properties.update(schema["properties"])
        if isinstance(schema.get("required"), list):
            required.extend(schema["required"])
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _pointer(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _int(value: Any, default: int | None) -> int | None:
    return int(value) if _is_number(value) and value >= 0 else default
