"""The generator understands every keyword our 128 schemas use (so none is silently ignored)."""

from __future__ import annotations

import json

from conformance.fuzz import actions, unknown_keywords
from conformance.resources import schema_dir


def test_there_are_128_schemas_for_64_actions() -> None:
    assert len(list(schema_dir().glob("*.json"))) == 128
    assert len(actions()) == 64


def test_every_schema_uses_only_understood_keywords() -> None:
    unknown: dict[str, set[str]] = {}
    for path in sorted(schema_dir().glob("*.json")):
        found = unknown_keywords(json.loads(path.read_text(encoding="utf-8")))
        if found:
            unknown[path.name] = found
    assert unknown == {}


def test_inventory_detects_unknown_keywords_and_formats() -> None:
    schema = {
        "type": "object",
        "definitions": {"T": {"type": "string", "pattern": "^a$"}},
        "properties": {
            "a": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "b": {"type": "integer", "exclusiveMaximum": 3},
        },
        "oneOf": [],
    }
    assert unknown_keywords(schema) == {"pattern", "format:uri", "exclusiveMaximum", "oneOf"}
