"""What every FZ case does: run the engine, attach its summary and the minimal failure, fail with it."""

from __future__ import annotations

from typing import Any

import allure
from hypothesis import strategies as st

from conformance.fuzz.engine import Check, FuzzSettings, run_fuzz
from conformance.fuzz.examples import FuzzExample

_attach: Any = allure.attach  # allure-commons is untyped
_dynamic: Any = allure.dynamic


async def fuzz_case(
    case_id: str,
    strategy: st.SearchStrategy[FuzzExample],
    check: Check,
    settings: FuzzSettings,
    *,
    timeout: float,
    connect_timeout: float,
    replay: str,
) -> None:
    """Run one FZ case from the test's own task (attachments are made here, never in the worker)."""
    __tracebackhide__ = True
    _dynamic.title(case_id)  # here, not in a fixture: allure-pytest names the test after setup
    run = await run_fuzz(
        case_id,
        strategy,
        check,
        settings,
        example_timeout=4 * timeout + connect_timeout + 5,
        replay=replay,
    )
    _attach(run.summary(), name="fuzz summary", attachment_type=allure.attachment_type.TEXT)
    if run.failure is not None:
        _attach(
            run.failure_report(), name="minimal failing example", attachment_type=allure.attachment_type.TEXT
        )
        _attach(
            run.failure.verdict.frame,
            name="minimal frame (ready to send)",
            attachment_type=allure.attachment_type.TEXT,
        )
    print(run.summary())  # shown with -rA / on failure
    run.raise_if_failed()
