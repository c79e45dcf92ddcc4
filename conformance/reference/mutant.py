"""`Mutant`: one named fault of a reference SUT (a leaf module, so every registry can import it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str = "station"
    breaks: str = ""
    description: str = ""
