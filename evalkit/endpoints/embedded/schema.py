"""The JSON schema an embedded model's grammar is built from: the verdict's tuple of
criteria kept as a tuple, its free text capped so a verdict ends in a few hundred tokens."""

from __future__ import annotations

from typing import Any


def tuple_only(schema: Any) -> Any:
    """The schema with `items` dropped wherever `prefixItems` is given: llama-cpp-python's
    grammar converter reads `items` first and ignores the tuple, which let the judge repeat
    one criterion id and skip another (3 of 4 seed verdicts invalid, measured)."""
    if isinstance(schema, dict):
        cleaned = {k: tuple_only(v) for k, v in schema.items()}
        if "prefixItems" in cleaned:
            cleaned.pop("items", None)
        return cleaned
    if isinstance(schema, list):
        return [tuple_only(v) for v in schema]
    return schema


TEXT_CAPS = {"reasoning": 240, "note": 60, "description": 80, "label": 24}
"""The most characters an embedded model may write in these fields of a structured reply
(the verdict's): a 135M-270M model writes notes until the cap, and on two CPU cores every
character is time (a verdict with the full schema's caps took 350-700 tokens, measured)."""
ISSUES_CAP = 2
"""The most issues an embedded model may list in a verdict."""


def bounded(schema: Any) -> Any:
    """The schema with the caps above applied: a grammar then cannot let the model write
    more, so a verdict ends long before max_tokens would cut its JSON short."""
    if isinstance(schema, list):
        return [bounded(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: bounded(v) for k, v in schema.items()}
    for key, field in (schema.get("properties") or {}).items():
        if field.get("type") == "string" and key in TEXT_CAPS:
            field["maxLength"] = min(field.get("maxLength", TEXT_CAPS[key]), TEXT_CAPS[key])
        if field.get("type") == "array" and key == "issues":
            field["maxItems"] = min(field.get("maxItems", ISSUES_CAP), ISSUES_CAP)
    return schema
