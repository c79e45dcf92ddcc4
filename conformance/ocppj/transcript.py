"""The transcript of one connection: every frame in and out, with its violations, and notes.

Records are append-only and numbered; `mark()` / `since(mark)` cut out what one test step exchanged.
`to_jsonl` is the machine-readable evidence, `to_text` the readable one for reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from conformance.ocppj.validation import Violation

Direction = Literal["in", "out", "note"]
_ARROW = {"in": "<-", "out": "->", "note": "--"}
_KIND = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame received ("in") or sent ("out"), or a connection event ("note", text only)."""

    seq: int
    t_monotonic: float
    wall_time_iso: str
    direction: Direction
    text: str
    violations: tuple[Violation, ...] = ()
    deliberate_invalid: bool = False
    binary: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t_monotonic": round(self.t_monotonic, 6),
            "wall_time": self.wall_time_iso,
            "direction": self.direction,
            "text": self.text,
            "binary": self.binary,
            "deliberate_invalid": self.deliberate_invalid,
            "violations": [{"rule": v.rule, "path": v.path, "message": v.message} for v in self.violations],
        }


class Transcript:
    """Append-only record of a connection's frames (and of a session's reconnects, as notes)."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        self._records: list[FrameRecord] = []

    @property
    def records(self) -> tuple[FrameRecord, ...]:
        return tuple(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def add(
        self,
        direction: Literal["in", "out"],
        text: str | bytes,
        violations: Sequence[Violation] = (),
        *,
        deliberate_invalid: bool = False,
    ) -> FrameRecord:
        """Record a frame as it went over the wire (bytes = a binary WebSocket message)."""
        binary = not isinstance(text, str)
        shown = text if isinstance(text, str) else bytes(text).decode("utf-8", "backslashreplace")
        return self._append(direction, shown, tuple(violations), deliberate_invalid, binary)

    def note(self, text: str) -> FrameRecord:
        """Record a connection event (opened, closed, handshake refused) between the frames."""
        return self._append("note", text, (), False, False)

    def _append(
        self,
        direction: Direction,
        text: str,
        violations: tuple[Violation, ...],
        deliberate: bool,
        binary: bool,
    ) -> FrameRecord:
        record = FrameRecord(
            len(self._records),
            time.monotonic(),
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            direction,
            text,
            violations,
            deliberate,
            binary,
        )
        self._records.append(record)
        return record

    def mark(self) -> int:
        """A position: `since(mark)` returns what was recorded after it."""
        return len(self._records)

    def since(self, mark: int) -> tuple[FrameRecord, ...]:
        return tuple(self._records[mark:])

    def to_jsonl(self, records: Sequence[FrameRecord] | None = None) -> str:
        """One JSON object per line (seq, times, direction, raw text, violations, flags)."""
        chosen = self._records if records is None else records
        return "".join(orjson.dumps(r.to_dict()).decode() + "\n" for r in chosen)

    def to_text(self, records: Sequence[FrameRecord] | None = None) -> str:
        """Readable lines: time, arrow, type/action, id, compact payload; violations beneath."""
        chosen = self._records if records is None else records
        lines: list[str] = []
        for r in chosen:
            clock = r.wall_time_iso[11:23]
            if r.direction == "note":
                lines.append(f"{clock} {_ARROW['note']} {r.text}")
                continue
            flags = " [binary]" if r.binary else ""
            flags += " [deliberately invalid]" if r.deliberate_invalid else ""
            lines.append(f"{clock} {_ARROW[r.direction]} {summarize(r.text)}{flags}")
            lines.extend(f"      ! {v}" for v in r.violations)
        return "\n".join(lines) + ("\n" if lines else "")


def summarize(text: str) -> str:
    """`CALL BootNotification id=19223201 {...}` for a frame text; the raw text when not a frame."""
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        return f"(not JSON) {text}"
    if not isinstance(msg, list) or not msg or msg[0] not in _KIND or isinstance(msg[0], bool):
        return f"(not a frame) {text}"
    kind = _KIND[msg[0]]
    unique_id = msg[1] if len(msg) > 1 else "?"
    rest = msg[2:]
    if kind == "CALL" and len(rest) == 2:
        return f"CALL {rest[0]} id={unique_id} {_compact(rest[1])}"
    if kind == "CALLERROR" and len(rest) == 3:
        return f"CALLERROR {rest[0]} id={unique_id} {_compact(rest[1])} {_compact(rest[2])}"
    return f"{kind} id={unique_id} {' '.join(_compact(x) for x in rest)}"


def _compact(value: Any) -> str:
    return orjson.dumps(value, default=repr).decode()
