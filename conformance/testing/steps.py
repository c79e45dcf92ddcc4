"""Named steps: an Allure step each, with the frames exchanged during it attached.

Steps are opened from the test's own task only (allure tracks steps per thread, and reader tasks
never open steps), so nesting is right even though frames arrive on other tasks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

import allure

from conformance.ocppj.transcript import Transcript

_transcripts: contextvars.ContextVar[tuple[Transcript, ...]] = contextvars.ContextVar(
    "ocpp_transcripts", default=()
)
_step_log: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("ocpp_step_log", default=None)


def activate(transcripts: tuple[Transcript, ...], log: list[str]) -> None:
    """Called by the plugin when a test starts: the transcripts its steps attach frames from."""
    _transcripts.set(transcripts)
    _step_log.set(log)


@contextmanager
def step(title: str) -> Iterator[None]:
    transcripts = _transcripts.get()
    marks = [t.mark() for t in transcripts]
    log = _step_log.get()
    if log is not None:
        log.append(title)
    with allure.step(title):
        try:
            yield
        finally:
            for transcript, mark in zip(transcripts, marks, strict=True):
                records = transcript.since(mark)
                if records:
                    allure.attach(
                        transcript.to_text(records),
                        name="frames",
                        attachment_type=allure.attachment_type.TEXT,
                    )
