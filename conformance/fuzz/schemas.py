"""Our OCPP 2.0.1 schemas as plain JSON, for building strategies.

Loaded with the `json` module straight from `conformance.resources.schema_dir()` so the fuzz package
does not depend on `conformance.ocppj` (a separate, hot-path layer). Every schema is read once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any, Literal, TypeAlias

from conformance.resources import schema_dir

Kind: TypeAlias = Literal["request", "response"]
Schema: TypeAlias = dict[str, Any]

# Keywords that constrain instances: the strategies understand each of these.
CONSTRAINT_KEYWORDS: frozenset[str] = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "$ref",
        "enum",
        "maxLength",
        "items",
        "minItems",
        "maxItems",
        "additionalItems",
        "minimum",
        "maximum",
        "format",
    }
)
# Keywords that never constrain instances (annotations, the schema's own identity, ref targets).
ANNOTATION_KEYWORDS: frozenset[str] = frozenset(
    {"$schema", "$id", "comment", "description", "javaType", "default", "definitions"}
)
KNOWN_FORMATS: frozenset[str] = frozenset({"date-time"})

_SUFFIX: dict[Kind, str] = {"request": "Request", "response": "Response"}


@functools.cache
def actions() -> tuple[str, ...]:
    """Every action that has both a request and a response schema, sorted."""
    names = {p.name.removesuffix("Request.json") for p in schema_dir().glob("*Request.json")}
    return tuple(sorted(n for n in names if (schema_dir() / f"{n}Response.json").is_file()))


@functools.cache
def load_schema(action: str, kind: Kind) -> Schema:
    """The raw schema of `<action>Request.json` / `<action>Response.json` (shared; do not mutate)."""
    if kind not in _SUFFIX:
        raise ValueError(f"kind must be 'request' or 'response', not {kind!r}")
    path = schema_dir() / f"{action}{_SUFFIX[kind]}.json"
    if not path.is_file():
        raise KeyError(f"no OCPP 2.0.1 schema for action {action!r} ({kind})")
    with path.open(encoding="utf-8") as fh:
        schema: Schema = json.load(fh)
    return schema


def resolve(root: Schema, node: Schema) -> Schema:
    """Follow local `$ref`s (`#/definitions/X`) until a concrete node. In draft-06 a `$ref`'s
    siblings are ignored, which is why only the target is returned."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or cyclic $ref {ref!r}")
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def subschemas(node: Schema) -> Iterator[Schema]:
    """The schema-valued children of one node (one level; `$ref`s not followed)."""
    for key in ("properties", "definitions"):
        yield from node.get(key, {}).values()
    for key in ("items", "additionalItems", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            yield child
        elif isinstance(child, list):
            yield from child


def unknown_keywords(schema: Schema) -> set[str]:
    """Keywords (and formats) anywhere in `schema` that the strategies do not understand."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        found.update(k for k in node if k not in CONSTRAINT_KEYWORDS | ANNOTATION_KEYWORDS)
        fmt = node.get("format")
        if fmt is not None and fmt not in KNOWN_FORMATS:
            found.add(f"format:{fmt}")
        stack.extend(subschemas(node))
    return found
