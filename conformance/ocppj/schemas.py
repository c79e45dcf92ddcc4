"""The official OCPP 2.0.1 JSON schemas, loaded once from our verbatim copy."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import orjson

from conformance import resources

Kind = Literal["request", "response"]
KINDS: tuple[Kind, Kind] = ("request", "response")
_SUFFIX: Mapping[Kind, str] = {"request": "Request", "response": "Response"}


class SchemaStore:
    """Every `<Action>Request.json` / `<Action>Response.json` of one schema folder, parsed once.

    Raw schemas are shared: callers must not mutate what `raw` returns.
    """

    __slots__ = ("_schemas", "actions", "directory")

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else resources.schema_dir()
        schemas: dict[tuple[str, Kind], dict[str, Any]] = {}
        for path in sorted(self.directory.glob("*.json")):
            for kind, suffix in _SUFFIX.items():
                if path.stem.endswith(suffix):
                    schemas[(path.stem[: -len(suffix)], kind)] = orjson.loads(path.read_bytes())
                    break
        requests = {action for action, kind in schemas if kind == "request"}
        responses = {action for action, kind in schemas if kind == "response"}
        if not requests or requests != responses:
            raise ValueError(
                f"schema folder {self.directory} is incomplete: "
                f"unpaired actions {sorted(requests ^ responses)}"
                if requests
                else "no schemas found"
            )
        self._schemas = schemas
        self.actions: frozenset[str] = frozenset(requests)

    def raw(self, action: str, kind: Kind) -> dict[str, Any]:
        """The parsed schema of `action`'s request or response; KeyError for an unknown action."""
        try:
            return self._schemas[(action, kind)]
        except KeyError:
            raise KeyError(f"no {kind} schema for action {action!r}") from None

    def file_name(self, action: str, kind: Kind) -> str:
        return f"{action}{_SUFFIX[kind]}.json"

    def __repr__(self) -> str:
        return f"SchemaStore({str(self.directory)!r}, {len(self.actions)} actions)"


@functools.cache
def default_store() -> SchemaStore:
    """The process-wide store over the packaged schemas (loaded on first use)."""
    return SchemaStore()
