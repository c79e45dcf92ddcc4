"""The `command` driver: one shell command per action, e.g. a lab's relay or EV-simulator script.

Templates name params as `{evse_id}`; every value is inserted with `shlex.quote`, so a param
cannot break out of its argument. The command also gets env `OCPP_ACTION` and `OCPP_PARAMS`
(the params as JSON). It runs in its own process group, killed as a whole when the timeout expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
from collections.abc import Mapping
from typing import Any

from conformance.config import CommandDriverConfig
from conformance.drivers.base import ActionDriver, as_result, render, tail, template_values
from conformance.errors import HarnessError


class CommandDriver(ActionDriver):
    name = "command"

    def __init__(
        self, config: CommandDriverConfig, *, station_id: str, environ: Mapping[str, str] | None = None
    ) -> None:
        self.config = config
        self.station_id = station_id
        self.environ = environ

    def supports(self, action: str) -> bool:
        return action in self.config.actions

    def command_line(self, action: str, params: Mapping[str, Any]) -> str:
        """The shell command `action` runs with these params."""
        values = template_values(action, params, self.station_id)
        return render(self.config.actions[action], values, action, shlex.quote)

    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.require(action)
        command = self.command_line(action, params)
        env = dict(os.environ if self.environ is None else self.environ)
        env.update(OCPP_ACTION=action, OCPP_PARAMS=json.dumps(params, ensure_ascii=False))
        try:
            process = await asyncio.create_subprocess_shell(
                command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self.config.cwd,
                env=env,
                start_new_session=True,  # its own process group: the timeout kills children too
            )
        except OSError as exc:
            raise HarnessError(f"action {action}: cannot start the command: {exc}") from None
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.config.timeout)
        except TimeoutError:
            await _kill(process)
            raise HarnessError(
                f"action {action}: the command did not finish within {self.config.timeout:g} s and was killed"
            ) from None
        except asyncio.CancelledError:
            await _kill(process)
            raise
        stdout = out.decode("utf-8", "replace")
        stderr = err.decode("utf-8", "replace")
        if process.returncode != 0:
            detail = tail(stderr) or tail(stdout) or "no output"
            raise HarnessError(
                f"action {action}: the command exited with status {process.returncode}: {detail}"
            )
        return _parse_output(stdout)


def _parse_output(stdout: str) -> dict[str, Any]:
    """JSON output is the result; other output is returned as text under "stdout"."""
    text = stdout.strip()
    if not text:
        return {}
    try:
        return as_result(json.loads(text))
    except ValueError:
        return {"stdout": text}


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(process.wait(), 5.0)
