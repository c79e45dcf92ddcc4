"""Payloads that break exactly one schema rule at one spot: a valid example plus one mutation.

`path` is where jsonschema reports the error: the value's own path for type, enum, maxLength,
minimum, maximum and format; the enclosing object's path for required and additionalProperties
(the property name is in `mutation`). Codes: see `conformance.fuzz.codes`.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from conformance.fuzz.codes import PAYLOAD_RULE_CODES, REPLY_REQUIRED_RULES
from conformance.fuzz.paths import PathParts, json_path, set_at
from conformance.fuzz.schemas import Kind, Schema, load_schema, resolve
from conformance.fuzz.valid import valid_payloads

# Simplest first, for shrinking.
RULES: tuple[str, ...] = (
    "required",
    "type",
    "additionalProperties",
    "enum",
    "maxLength",
    "minimum",
    "maximum",
    "format",
)

# Values of a different JSON type than the key (jsonschema: booleans are not numbers).
_WRONG_TYPE: dict[str, tuple[Any, ...]] = {
    "string": (42, True, [], {}, None),
    "integer": ("42", 4.5, True, [], {}, None),
    "number": ("4.5", True, [], {}, None),
    "boolean": ("true", 1, [], {}, None),
    "object": ("x", 1, [], None),
    "array": ("x", 1, {}, None),
}
# Not RFC 3339: words, missing offset, date only, impossible calendar values, wrong separators.
BAD_DATETIMES: tuple[str, ...] = (
    "yesterday",
    "",
    "2024-01-15T10:00:00",
    "2024-01-15",
    "2024-13-01T10:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-01-15T24:00:00Z",
    "2024-1-5T10:00:00Z",
    "2024-01-15 10:00:00Z",
    "2024-01-15T10:00:00+0100",
    "15/01/2024 10:00",
    "1705312800",
)


@dataclass(frozen=True)
class InvalidPayload:
    payload: dict[str, Any]
    mutation: str
    path: str
    rule: str
    allowed_codes: frozenset[str]
    exact_code: str

    @property
    def reply_required(self) -> bool:
        """Part 4 4.1.7 requires a CALLERROR; otherwise 4.2.3 lets the receiver drop it."""
        return self.rule in REPLY_REQUIRED_RULES


@dataclass(frozen=True)
class _Site:
    rule: str
    parts: PathParts
    node: Schema  # resolved schema of the value (or of the object, for required/additional)
    detail: str = ""  # the required property, for "required"


def _sites(root: Schema, node: Schema, value: Any, parts: PathParts) -> Iterator[_Site]:
    node = resolve(root, node)
    kind = node.get("type")
    if parts and kind in _WRONG_TYPE:
        yield _Site("type", parts, node)
    if "enum" in node:
        yield _Site("enum", parts, node)
    if kind == "string" and isinstance(value, str):
        if "maxLength" in node:
            yield _Site("maxLength", parts, node)
        if node.get("format") == "date-time":
            yield _Site("format", parts, node)
    if kind in ("integer", "number"):
        for bound in ("minimum", "maximum"):
            if bound in node:
                yield _Site(bound, parts, node)
    if kind == "object" and isinstance(value, dict):
        properties: dict[str, Schema] = node.get("properties", {})
        for name in node.get("required", ()):
            if name in value:
                yield _Site("required", parts, node, name)
        if node.get("additionalProperties", True) is False:
            yield _Site("additionalProperties", parts, node)
        for name, child in value.items():
            if name in properties:
                yield from _sites(root, properties[name], child, (*parts, name))
    if kind == "array" and isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            yield from _sites(root, node["items"], item, (*parts, index))


def _mutate(draw: Callable[[st.SearchStrategy[Any]], Any], payload: dict[str, Any], site: _Site) -> str:
    """Apply the site's mutation to `payload` in place; return its description."""
    where = json_path(site.parts)
    target: Any = payload
    for part in site.parts:
        target = target[part]
    if site.rule == "required":
        del target[site.detail]
        return f"removed required property {site.detail!r} of {where}"
    if site.rule == "additionalProperties":
        declared = set(site.node.get("properties", {}))
        names = st.text(string.ascii_letters, min_size=1, max_size=12)
        name = draw(names.filter(lambda k: k not in declared))
        target[name] = draw(st.sampled_from(("x", 1, True)))
        return f"added undeclared property {name!r} to {where}"
    if site.rule == "type":
        new = draw(st.sampled_from(_WRONG_TYPE[site.node["type"]]))
        what = f"{site.node['type']} replaced by JSON {type(new).__name__} {new!r}"
    elif site.rule == "enum":
        options = [v + "X" for v in site.node["enum"]] + [v.lower() for v in site.node["enum"]]
        options += ["Invalid", ""]
        new = draw(st.sampled_from([o for o in options if o not in site.node["enum"]]))
        what = f"enum value replaced by {new!r}"
    elif site.rule == "maxLength":
        limit = int(site.node["maxLength"])
        extra = draw(st.integers(1, 8))
        new = (target + "x" * (limit + extra))[: limit + extra]
        what = f"string of {len(new)} characters, maxLength {limit}"
    elif site.rule in ("minimum", "maximum"):
        bound = site.node[site.rule]
        step = draw(st.integers(1, 1000))
        new = bound - step if site.rule == "minimum" else bound + step
        if site.node["type"] == "integer":
            new = int(new)
        what = f"{new} beyond {site.rule} {bound}"
    elif site.rule == "format":
        new = draw(st.sampled_from(BAD_DATETIMES))
        what = f"date-time replaced by {new!r}"
    else:  # pragma: no cover - RULES and this function are kept in step
        raise AssertionError(site.rule)
    set_at(payload, site.parts, new)
    return f"{what} at {where}"


@st.composite
def _invalid(draw: st.DrawFn, action: str, kind: Kind, rules: tuple[str, ...]) -> InvalidPayload:
    schema = load_schema(action, kind)
    payload = copy.deepcopy(draw(valid_payloads(action, kind)))
    sites = list(_sites(schema, schema, payload, ()))
    available = [r for r in rules if any(s.rule == r for s in sites)]
    assume(available)
    rule = draw(st.sampled_from(available))
    site = draw(st.sampled_from([s for s in sites if s.rule == rule]))
    mutation = _mutate(draw, payload, site)
    allowed, exact = PAYLOAD_RULE_CODES[rule]
    return InvalidPayload(payload, mutation, json_path(site.parts), rule, allowed, exact)


def invalid_payloads(
    action: str, kind: Kind, *, rules: Collection[str] | None = None
) -> st.SearchStrategy[InvalidPayload]:
    """Payloads breaking exactly one rule. `rules` restricts which (examples where none of them
    can apply are rejected, so restrict only to rules the schema can reach)."""
    chosen = RULES if rules is None else tuple(r for r in RULES if r in set(rules))
    unknown = set(rules or ()) - set(RULES)
    if unknown or not chosen:
        raise ValueError(f"unknown or no rules {sorted(unknown)}; known: {RULES}")
    load_schema(action, kind)  # fail fast on an unknown action
    return _invalid(action, kind, chosen)
