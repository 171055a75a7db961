"""What the fake Ollama answers: a schema-valid instance for a JSON-schema `format`, a JSON
object for "json", plain text otherwise."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def default_responder(request: Mapping[str, Any]) -> str:
    """A schema instance for a JSON-schema ``format``, a JSON object for ``"json"``, else text."""
    fmt = request.get("format")
    if isinstance(fmt, dict):
        return json.dumps(schema_instance(fmt))
    users = [m for m in request.get("messages") or [] if m.get("role") == "user"]
    last = str(users[-1].get("content", "")) if users else ""
    text = f"Answer from {request.get('model')}: {last[:60]}"
    return json.dumps({"answer": text}) if fmt == "json" else text


def schema_instance(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Any:
    """A deterministic value that validates against `schema` (the subset LLM formats use).

    Objects get every property, arrays ``minItems`` items (at least one), enums and
    ``anyOf``/``oneOf`` their first non-null choice, numbers their lower bound or 0;
    ``$ref`` into ``$defs`` is followed, ``prefixItems`` fill the first positions.
    ``pattern`` and ``uniqueItems`` are not honoured.
    """
    root = schema if root is None else root
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return schema_instance(target, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return schema_instance(options[0], root)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return schema_instance(merged, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return _instance_of_type(kind, schema, root)


def _instance_of_type(kind: str, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    if kind == "object":
        props = schema.get("properties", {})
        return {name: schema_instance(sub, root) for name, sub in props.items()}
    if kind == "array":
        count = min(schema.get("minItems") or 1, schema.get("maxItems", 1 << 30))
        prefix = [schema_instance(item, root) for item in schema.get("prefixItems", [])]
        rest = [
            schema_instance(schema.get("items") or {}, root) for _ in range(count - len(prefix))
        ]
        return (prefix + rest)[: max(count, len(prefix))]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    formats = {"date-time": "2026-04-14T12:00:00Z", "date": "2026-04-14", "email": "a@b.example"}
    text = formats.get(schema.get("format", ""), "example")
    text = text.ljust(schema.get("minLength", 0), "x")
    return text[: schema["maxLength"]] if "maxLength" in schema else text


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    step = 1 if integer else 0.5
    low = schema.get("minimum")
    if "exclusiveMinimum" in schema:
        low = max(low if low is not None else -1e300, schema["exclusiveMinimum"] + step)
    high = schema.get("maximum")
    if "exclusiveMaximum" in schema:
        high = min(high if high is not None else 1e300, schema["exclusiveMaximum"] - step)
    value = low if low is not None else (high if high is not None and high < 0 else 0)
    return int(value) if integer else float(value)
