"""Fixtures: a reference CSMS per test (real sockets on an ephemeral port), stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.reference.csms import CsmsConfig, RunningCsms, start_reference_csms

StartCsms = Callable[..., RunningCsms]


@pytest.fixture
def start_csms() -> Iterator[StartCsms]:
    started: list[RunningCsms] = []

    def start(config: CsmsConfig | None = None, **kwargs: Any) -> RunningCsms:
        running = start_reference_csms(config or CsmsConfig(), **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def csms(start_csms: StartCsms) -> RunningCsms:
    return start_csms()
