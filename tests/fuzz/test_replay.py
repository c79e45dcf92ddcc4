"""Strategies are pure: the same seed replays the same examples."""

from __future__ import annotations

from typing import Any

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from conformance.fuzz import framing_faults, invalid_payloads, valid_payloads


def _run(strategy: st.SearchStrategy[Any], derandomize: bool) -> list[Any]:
    drawn: list[Any] = []

    @seed(8)
    @settings(max_examples=30, deadline=None, derandomize=derandomize, database=None)
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_same_seed_same_examples() -> None:
    for strategy in (
        valid_payloads("TransactionEvent", "request"),
        invalid_payloads("SetChargingProfile", "request"),
        framing_faults("BootNotification"),
    ):
        for derandomize in (True, False):
            first = _run(strategy, derandomize)
            assert first == _run(strategy, derandomize)
            assert len({repr(x) for x in first}) > 1  # not trivially constant
