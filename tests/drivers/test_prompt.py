"""The prompt driver: unsupported without a terminal or in CI; with a real pseudo-terminal, the
operator's answer (Enter, skip, fail) decides the outcome."""

from __future__ import annotations

import asyncio
import os
import select
import time
from collections.abc import Iterator
from types import MappingProxyType

import pytest

from conformance.config import PromptDriverConfig
from conformance.drivers.prompt import PromptDriver, instruction_for
from conformance.errors import ActionUnsupported, HarnessError


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """(master fd, slave path): the slave plays the operator's terminal."""
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


def read_until(fd: int, marker: bytes, timeout: float = 5.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} on the terminal; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            seen += os.read(fd, 4096)
    return seen


def answer(
    driver: PromptDriver, master: int, action: str, params: dict[str, object], reply: bytes
) -> tuple[dict[str, object], bytes]:
    async def scenario() -> tuple[dict[str, object], bytes]:
        task = asyncio.create_task(driver.perform(action, params))
        shown = await asyncio.to_thread(read_until, master, b"> ")
        os.write(master, reply)
        return await asyncio.wait_for(task, 5), shown

    return asyncio.run(scenario())


def test_unsupported_without_a_terminal() -> None:
    d = PromptDriver(PromptDriverConfig(), station_id="CS1", tty_path="/nonexistent/tty", environ={})
    assert not d.supports("plug_in")
    with pytest.raises(ActionUnsupported, match="action 'plug_in' is not available with the 'prompt' driver"):
        asyncio.run(d.perform("plug_in", {"evse_id": 1}))


def test_unsupported_in_ci_even_with_a_terminal(pty: tuple[int, str]) -> None:
    d = PromptDriver(PromptDriverConfig(), station_id="CS1", tty_path=pty[1], environ={"CI": "true"})
    assert not d.supports("reboot")
    with pytest.raises(
        ActionUnsupported, match="'reboot' is not available with the 'prompt' driver: env CI is set"
    ):
        asyncio.run(d.perform("reboot", {}))
    ok = PromptDriver(PromptDriverConfig(), station_id="CS1", tty_path=pty[1], environ={})
    assert ok.supports("reboot") and ok.supports("SetVariables")
    assert not ok.supports("get_state") and not ok.supports("fly")


def test_enter_means_done_and_the_instruction_names_the_params(pty: tuple[int, str]) -> None:
    master, path = pty
    d = PromptDriver(PromptDriverConfig(), station_id="CS1", tty_path=path, environ={})
    result, shown = answer(d, master, "plug_in", {"evse_id": 2}, b"\n")
    assert result == {}
    assert b"MANUAL STEP (plug_in): Plug the EV's cable into EVSE 2, connector 1." in shown
    result, _ = answer(d, master, "reboot", {}, b"done, took 40 s\n")
    assert result == {"operator": "done, took 40 s"}


def test_skip_and_fail_answers(pty: tuple[int, str]) -> None:
    master, path = pty
    d = PromptDriver(PromptDriverConfig(), station_id="CS1", tty_path=path, environ={})
    with pytest.raises(ActionUnsupported, match="the operator skipped it"):
        answer(d, master, "unplug", {"evse_id": 1}, b"skip\n")
    with pytest.raises(HarnessError, match="action unplug: the operator could not do it: cable stuck"):
        answer(d, master, "unplug", {"evse_id": 1}, b"fail cable stuck\n")


def test_no_answer_times_out(pty: tuple[int, str]) -> None:
    d = PromptDriver(PromptDriverConfig(timeout=0.3), station_id="CS1", tty_path=pty[1], environ={})
    with pytest.raises(HarnessError, match=r"action reboot: no answer from the operator within 0\.3 s"):
        asyncio.run(d.perform("reboot", {}))


def test_instruction_texts() -> None:
    operator = instruction_for("Reset", {"station_id": "CS9", "request": {"type": "OnIdle"}}, "CS1")
    assert operator == 'In the CSMS, make it send a ResetRequest to station CS9. Requested: {"type":"OnIdle"}'
    custom = MappingProxyType({"plug_in": "Plug cable {evse_id} on bench {station_id}"})
    assert instruction_for("plug_in", {"evse_id": 1}, "CS1", custom) == "Plug cable 1 on bench CS1"
