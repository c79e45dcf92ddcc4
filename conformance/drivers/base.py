"""The action-driver interface, and the placeholder templating the configurable drivers share.

A driver makes the SUT (or a person at it) perform an action of the shared vocabulary
(`conformance.drivers.actions`). `supports()` is asked first; a test needing an unsupported action is
skipped (`ActionUnsupported`). A failed action is a `HarnessError` naming the action, never a
conformance failure: the SUT was not given its chance.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from conformance.config import PLACEHOLDER
from conformance.drivers.actions import OPERATOR_ACTIONS, STATION_ACTIONS
from conformance.errors import ActionUnsupported, HarnessError

_DEFAULT_IN_SPEC = re.compile(r"\bdefault\s+([A-Za-z0-9_.\-]+)")


class ActionDriver(ABC):
    name: str = "driver"

    @abstractmethod
    def supports(self, action: str) -> bool:
        """Can this driver perform `action` (with this configuration, in this environment)?"""

    @abstractmethod
    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Perform `action`; return what the SUT or operator reported ({} if nothing).

        Raises ActionUnsupported if not `supports(action)`, HarnessError if it failed."""

    def require(self, action: str) -> None:
        if not self.supports(action):
            raise ActionUnsupported(action, self.name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class UnavailableDriver(ActionDriver):
    """Supports nothing, with the reason in every skip (e.g. `builtin` without a built-in SUT)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def supports(self, action: str) -> bool:
        return False

    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        raise ActionUnsupported(action, self.name, self.reason)


# ------------------------------------------------------------------ templating
def param_defaults(action: str) -> dict[str, Any]:
    """Defaults the vocabulary states for optional params ("int, default 1" -> 1)."""
    spec = STATION_ACTIONS.get(action) or OPERATOR_ACTIONS.get(action)
    defaults: dict[str, Any] = {}
    for name, text in (spec.params if spec else {}).items():
        match = _DEFAULT_IN_SPEC.search(text)
        if match:
            value = match.group(1)
            defaults[name] = int(value) if value.isdigit() else value
        elif "or null" in text:
            defaults[name] = None
    return defaults


def template_values(action: str, params: Mapping[str, Any], station_id: str) -> dict[str, Any]:
    """What a template's placeholders can name: the action's params (with the vocabulary's
    defaults), `station_id` (the params' or the description's), `action` and `params` (all of them)."""
    merged = {**param_defaults(action), **params}
    merged.setdefault("station_id", station_id)
    return {**merged, "action": action, "params": dict(params)}


def lookup(values: Mapping[str, Any], name: str, action: str) -> Any:
    """`name` may be dotted (`request.idToken.idToken`) or index lists (`request.chargingProfile.0`)."""
    current: Any = values
    for part in name.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            offered = ", ".join(sorted(k for k in values if k != "params"))
            raise HarnessError(
                f"action {action}: the template's placeholder {{{name}}} has no value"
                f" (this call offers: {offered})"
            )
    return current


def as_text(value: Any) -> str:
    """A param as template text: strings as they are, JSON for anything else, "" for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(
    template: str, values: Mapping[str, Any], action: str, quote: Callable[[str], str] = lambda text: text
) -> str:
    """Substitute `{name}` placeholders, each value passed through `quote` (shell or URL quoting)."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return quote(as_text(lookup(values, match.group(1), action)))

    return PLACEHOLDER.sub(substitute, template)


def render_json(body: Any, values: Mapping[str, Any], action: str) -> Any:
    """Render a JSON body template: a string that is exactly one placeholder becomes that value
    itself (object, number, ...); other strings are interpolated; containers are walked."""
    if isinstance(body, str):
        match = PLACEHOLDER.fullmatch(body)
        if match and match.group(1):
            return lookup(values, match.group(1), action)
        return render(body, values, action)
    if isinstance(body, Mapping):
        return {render(str(k), values, action): render_json(v, values, action) for k, v in body.items()}
    if isinstance(body, list):
        return [render_json(v, values, action) for v in body]
    return body


def tail(text: str, limit: int = 400) -> str:
    """The end of a process's output (where the error usually is), on one line."""
    text = text.strip()
    short = text if len(text) <= limit else "..." + text[-limit:]
    return short.replace("\n", " | ")


def excerpt(text: str, limit: int = 200) -> str:
    """The start of a response body (where an API states its error), on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def as_result(value: Any) -> dict[str, Any]:
    """A driver's result is a dict: JSON objects as they are, other JSON values under "result"."""
    if value is None:
        return {}
    return dict(value) if isinstance(value, Mapping) else {"result": value}
