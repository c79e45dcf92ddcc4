"""The command driver, running real shell commands in a temporary directory."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from conformance.config import CommandDriverConfig
from conformance.drivers.command import CommandDriver
from conformance.errors import ActionUnsupported, HarnessError


def driver(tmp_path: Path, timeout: float = 10.0, **actions: str) -> CommandDriver:
    config = CommandDriverConfig(actions=MappingProxyType(actions), timeout=timeout, cwd=tmp_path)
    return CommandDriver(config, station_id="CS-LAB", environ={"PATH": os.environ["PATH"], "LAB": "bench-3"})


def run(d: CommandDriver, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(d.perform(action, params))


def test_params_are_substituted_as_single_shell_arguments(tmp_path: Path) -> None:
    (tmp_path / "keep").write_text("precious")
    d = driver(tmp_path, present_id_token="printf '%s\\n' {id_token} {type} {station_id} > args.txt")
    hostile = "X; rm -f keep $(touch pwned) `touch pwned2` 'q\" *"
    assert run(d, "present_id_token", {"id_token": hostile}) == {}
    lines = (tmp_path / "args.txt").read_text().splitlines()
    assert lines == [hostile, "ISO14443", "CS-LAB"]  # one argument each; `type` got its default
    assert (tmp_path / "keep").read_text() == "precious"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_json_stdout_is_the_result_and_defaults_fill_params(tmp_path: Path) -> None:
    d = driver(
        tmp_path,
        plug_in='printf \'{"evse": %s, "connector": %s, "lab": "%s"}\' {evse_id} {connector_id} "$LAB"',
        reboot="echo rebooting now",
        unplug="printf '[1, 2]'",
    )
    assert run(d, "plug_in", {"evse_id": 2}) == {"evse": 2, "connector": 1, "lab": "bench-3"}
    assert run(d, "reboot", {}) == {"stdout": "rebooting now"}
    assert run(d, "unplug", {"evse_id": 1}) == {"result": [1, 2]}


def test_action_and_params_are_in_the_environment(tmp_path: Path) -> None:
    d = driver(
        tmp_path, RequestStartTransaction='printf \'%s\' "$OCPP_PARAMS" > p.json; echo "$OCPP_ACTION" > a'
    )
    params = {
        "station_id": "CS-LAB",
        "request": {"idToken": {"idToken": "AB", "type": "ISO14443"}, "remoteStartId": 7},
    }
    run(d, "RequestStartTransaction", params)
    assert json.loads((tmp_path / "p.json").read_text()) == params
    assert (tmp_path / "a").read_text().strip() == "RequestStartTransaction"


def test_dotted_placeholders_reach_into_the_request(tmp_path: Path) -> None:
    d = driver(tmp_path, Reset="printf '%s|%s' {request.type} {request}")
    result = run(d, "Reset", {"station_id": "CS-LAB", "request": {"type": "Immediate"}})
    assert result == {"stdout": 'Immediate|{"type":"Immediate"}'}
    with pytest.raises(
        HarnessError, match=r"action Reset: the template's placeholder \{request.type\} has no value"
    ):
        run(d, "Reset", {"station_id": "CS-LAB", "request": {}})


def test_non_zero_exit_is_a_harness_error_with_stderr_tail(tmp_path: Path) -> None:
    d = driver(tmp_path, reboot="echo starting; echo 'relay board not found' >&2; exit 3")
    with pytest.raises(HarnessError) as info:
        run(d, "reboot", {})
    assert str(info.value) == "action reboot: the command exited with status 3: relay board not found"


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    # A killed orphan may linger as a zombie where PID 1 does not reap: dead all the same.
    return not status.exists() or "\nState:\tZ" in status.read_text()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    d = driver(tmp_path, timeout=0.5, reboot="sh -c 'echo $$ > child.pid; exec sleep 30' ; echo never")
    started = time.monotonic()
    with pytest.raises(
        HarnessError, match=r"action reboot: the command did not finish within 0.5 s and was killed"
    ):
        run(d, "reboot", {})
    assert time.monotonic() - started < 5
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while not _dead(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _dead(child)


def test_unsupported_action(tmp_path: Path) -> None:
    d = driver(tmp_path, reboot="true")
    assert d.supports("reboot") and not d.supports("plug_in")
    with pytest.raises(
        ActionUnsupported, match="action 'plug_in' is not available with the 'command' driver"
    ):
        run(d, "plug_in", {"evse_id": 1})
