"""JSON paths in the project's notation: `$`, `$.a.b[0]` (bracket-quoted keys when not identifiers)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)

PathParts = tuple[str | int, ...]


def json_path(parts: Iterable[str | int]) -> str:
    """`("a", "b", 0)` -> `$.a.b[0]`; odd keys -> `$["a b"]`."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def get_at(document: Any, parts: PathParts) -> Any:
    for part in parts:
        document = document[part]
    return document


def set_at(document: Any, parts: PathParts, value: Any) -> None:
    """Replace the value at a non-empty path in place."""
    get_at(document, parts[:-1])[parts[-1]] = value
