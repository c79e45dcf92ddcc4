"""Schema-valid payload strategies, built from our own schemas (no hypothesis-jsonschema: it is
unmaintained and crashes on current Hypothesis).

Choices are ordered simple-first so shrinking lands on small examples: optional properties drop
out, strings shrink to "", arrays to `minItems`, enums to their first value, extra vendor properties
in `customData` to none. Sizes are kept realistic (short strings, at most `ARRAY_CAP` items unless
`minItems` needs more) so an example is cheap to send over a WebSocket.
"""

from __future__ import annotations

import functools
import math
import string
from typing import Any

from hypothesis import strategies as st

from conformance.fuzz.datetimes import ocpp_datetimes
from conformance.fuzz.schemas import Kind, Schema, load_schema, resolve

ARRAY_CAP = 5
SHORT_TEXT = 16
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "
# Natural-language text (Part 4 4.1.2: UTF-8; non-ASCII for natural language); no controls,
# surrogates, unassigned or private-use code points.
_UNICODE_TEXT = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Co"))


def _text(max_length: int | None) -> st.SearchStrategy[str]:
    short = SHORT_TEXT if max_length is None else min(max_length, SHORT_TEXT)
    options = [st.text(_PRINTABLE, max_size=short)]
    if max_length:
        # The boundary: exactly maxLength characters, drawn in one choice so long limits stay cheap.
        options.append(st.sampled_from(_PRINTABLE).map(lambda c: c * max_length))
    options.append(st.text(_UNICODE_TEXT, max_size=short))
    return st.one_of(options)


def _integers(minimum: float | None, maximum: float | None) -> st.SearchStrategy[int]:
    lo = INT32_MIN if minimum is None else math.ceil(minimum)
    hi = INT32_MAX if maximum is None else math.floor(maximum)
    small_lo, small_hi = max(lo, 0), min(hi, max(lo, 0) + 1000)
    if small_lo <= small_hi and (small_lo, small_hi) != (lo, hi):
        return st.one_of(st.integers(small_lo, small_hi), st.integers(lo, hi))
    return st.integers(lo, hi)


def _numbers(minimum: float | None, maximum: float | None) -> st.SearchStrategy[float | int]:
    lo = -1e9 if minimum is None else float(minimum)
    hi = 1e9 if maximum is None else float(maximum)
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return st.one_of(_integers(lo, hi), floats)


def json_values() -> st.SearchStrategy[Any]:
    """Small arbitrary JSON (no null: Part 4 4.1.5 wants absent rather than null fields)."""
    leaves = st.one_of(st.text(_PRINTABLE, max_size=SHORT_TEXT), st.integers(-1000, 1000), st.booleans())
    keys = st.text(string.ascii_letters, min_size=1, max_size=8)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=5,
    )


def _extra_keys(declared: set[str]) -> st.SearchStrategy[str]:
    return st.text(string.ascii_letters, min_size=1, max_size=12).filter(lambda k: k not in declared)


def _merge(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    declared, extra = parts
    return {**declared, **extra}


def node_strategy(root: Schema, node: Schema, depth: int = 0) -> st.SearchStrategy[Any]:
    """Strategy for values valid against `node` (a node of the schema `root`)."""
    if depth > 32:
        raise ValueError("schema nesting too deep (cyclic?)")
    node = resolve(root, node)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind is None:
        return json_values()
    if kind == "string":
        return ocpp_datetimes() if node.get("format") == "date-time" else _text(node.get("maxLength"))
    if kind == "integer":
        return _integers(node.get("minimum"), node.get("maximum"))
    if kind == "number":
        return _numbers(node.get("minimum"), node.get("maximum"))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return _array(root, node, depth)
    if kind == "object":
        return _object(root, node, depth)
    raise ValueError(f"unsupported schema type {kind!r}")


def _array(root: Schema, node: Schema, depth: int) -> st.SearchStrategy[list[Any]]:
    items = node.get("items", {})
    if not isinstance(items, dict):
        raise ValueError("tuple-form 'items' is not used by OCPP schemas")
    min_items = int(node.get("minItems", 0))
    max_items = min(int(node.get("maxItems", ARRAY_CAP)), max(min_items, ARRAY_CAP))
    return st.lists(node_strategy(root, items, depth + 1), min_size=min_items, max_size=max_items)


def _object(root: Schema, node: Schema, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Schema] = node.get("properties", {})
    required = set(node.get("required", ()))
    fixed = st.fixed_dictionaries(
        {k: node_strategy(root, s, depth + 1) for k, s in properties.items() if k in required},
        optional={k: node_strategy(root, s, depth + 1) for k, s in properties.items() if k not in required},
    )
    if node.get("additionalProperties", True) is False:
        return fixed
    # Open objects (CustomDataType): vendor-defined extra properties.
    extras = st.dictionaries(_extra_keys(set(properties)), json_values(), max_size=3)
    return st.tuples(fixed, extras).map(_merge)


@functools.cache
def _cached(action: str, kind: Kind) -> st.SearchStrategy[dict[str, Any]]:
    schema = load_schema(action, kind)
    return node_strategy(schema, schema)


def valid_payloads(action: str, kind: Kind) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads valid against `<action><Request|Response>.json` (compiled once per action and kind).

    Raises KeyError for an unknown action. Draws are fresh objects, safe to mutate."""
    return _cached(action, kind)
