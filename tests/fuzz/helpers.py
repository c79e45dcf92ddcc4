"""Shared bits of the fuzz-strategy tests: the reference validator and every (action, kind)."""

from __future__ import annotations

import functools

from jsonschema import Draft6Validator

from conformance.fuzz import actions, load_schema, strict_format_checker
from conformance.fuzz.schemas import Kind

KINDS: tuple[Kind, Kind] = ("request", "response")
SCHEMAS: list[tuple[str, Kind]] = [(a, k) for a in actions() for k in KINDS]


@functools.cache
def reference_validator(action: str, kind: Kind) -> Draft6Validator:
    """Draft 6 (the schemas' own draft) with a strict RFC 3339 date-time check."""
    return Draft6Validator(load_schema(action, kind), format_checker=strict_format_checker())
