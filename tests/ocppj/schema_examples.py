"""Valid examples for any OCPP 2.0.1 schema and seeded mutations of them (for the equivalence test).

The schemas use only: type, properties, required, additionalProperties, $ref (#/definitions), enum,
maxLength, items/minItems/maxItems, minimum/maximum, format date-time, default, javaType, comment.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

Json = Any


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["definitions"][name]
    return node


def example(
    schema: dict[str, Any], node: dict[str, Any] | None = None, *, full: bool, depth: int = 0
) -> Json:
    """A valid instance: every property (`full`) or the required ones only."""
    node = resolve(schema, schema if node is None else node)
    if "enum" in node:
        return node["enum"][-1 if full else 0]
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        keep = props if full and depth < 6 else {k: props[k] for k in node.get("required", [])}
        return {k: example(schema, v, full=full, depth=depth + 1) for k, v in keep.items()}
    if kind == "array":
        count = max(node.get("minItems", 0), 1 if full else 0)
        count = min(count, node.get("maxItems", count))
        return [example(schema, node["items"], full=full, depth=depth + 1) for _ in range(count)]
    if kind == "string":
        if node.get("format") == "date-time":
            return "2024-02-29T23:59:59.123Z" if full else "2024-01-01T00:00:00Z"
        return "s" * min(node.get("maxLength", 8), 8 if full else 1)
    if kind == "integer":
        return int(node.get("minimum", node.get("maximum", 1)))
    if kind == "number":
        return float(node.get("minimum", 1.5))
    if kind == "boolean":
        return full
    if kind is None:  # DataTransfer.data: any JSON
        return {"free": [1, "two", None]} if full else "any"
    raise AssertionError(f"unexpected schema node {node}")


def _locations(value: Json, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Json]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _locations(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _locations(v, (*path, i))


def _set(root: Json, path: tuple[str | int, ...], value: Json) -> Json:
    if not path:
        return value
    parent = root
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return root


_BAD_DATES = [
    "yesterday",
    "2024-01-01",
    "2024-01-01T00:00:00",
    "2024-01-01 00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00+0100",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T12:00:60+01:00",
    "2024-01-01T00:00:00+24:00",
    "",
    # jsonschema-rs 0.60's built-in date-time accepts these (non-digits in digit positions):
    "2024-01-0-T00:00:00Z",
    "+024-06-30T23:59:60Z",
    "2024-01-01T00:00:00-0.:00",
    "2024-01-01T0-:00:00Z",
]
_GOOD_DATES = [
    "2024-01-01t00:00:00z",
    "2024-01-01T00:00:00.123456789Z",
    "2024-06-30T23:59:60Z",
    "2024-01-01T00:59:60+01:00",
    "2024-01-01T00:00:00-00:00",
    "0001-01-01T00:00:00+23:59",
]


def mutations(valid: Json, rng: random.Random, count: int) -> Iterator[Json]:
    """`count` mutants of a valid instance: type swaps, removals, additions, odd strings and numbers."""
    spots = list(_locations(valid))
    for _ in range(count):
        mutant = copy.deepcopy(valid)
        path, value = rng.choice(spots)
        choice = rng.randrange(9)
        if choice == 0 and path:  # drop a (maybe required) property or array item
            parent = mutant
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
        elif choice == 1:
            mutant = _set(mutant, path, rng.choice([None, True, 0, -1, 2.5, "x", [], {}, 2**40, "1"]))
        elif choice == 2 and isinstance(value, dict):
            value_copy = _set(mutant, path, dict(value))
            target = value_copy if not path else _get(value_copy, path)
            target[rng.choice(["extra", "customData", "vendorId", "x-y"])] = rng.choice([1, "v", {}])
            mutant = value_copy
        elif choice == 3 and isinstance(value, str):
            mutant = _set(mutant, path, rng.choice(_BAD_DATES + _GOOD_DATES + [value * 300, value + "é"]))
        elif choice == 4 and isinstance(value, int | float) and not isinstance(value, bool):
            mutant = _set(
                mutant, path, rng.choice([value - 1, value + 1, -(10**9), 10**12, float(value), 0.5])
            )
        elif choice == 5 and isinstance(value, list):
            mutant = _set(mutant, path, value * rng.choice([0, 2, 50]))
        elif choice == 6 and isinstance(value, str):
            mutant = _set(mutant, path, value + "s" * rng.choice([1, 50, 1000]))
        elif choice == 7 and isinstance(value, dict) and value:
            key = rng.choice(list(value))
            _get(mutant, path).pop(key) if path else mutant.pop(key)
        else:
            mutant = _set(mutant, path, rng.choice(_BAD_DATES + _GOOD_DATES))
        yield mutant


def _get(root: Json, path: tuple[str | int, ...]) -> Json:
    for part in path:
        root = root[part]
    return root
