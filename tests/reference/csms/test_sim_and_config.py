"""`sim csms` standalone (live frame log, SIGTERM stops it) and the config constructors."""

from __future__ import annotations

import asyncio
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conformance.config import SutDescription
from conformance.errors import ConfigError
from conformance.reference.csms import CsmsConfig
from conformance.reference.csms.core import FrameEvent
from conformance.reference.csms.sim import format_frame
from tests.reference.csms.station import Connected, boot_payload

WAIT = 15.0


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _next_matching(lines: queue.Queue[str], pattern: str) -> str:
    while True:
        line = lines.get(timeout=WAIT)
        if re.search(pattern, line):
            return line


def test_sim_runs_logs_frames_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "csms.toml"
    config.write_text('heartbeat_interval = 42\n[stations.CS7]\nboot_status = "Pending"\n', encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance.reference.csms.sim",
            "--listen",
            "127.0.0.1:0",
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc)
        url = re.search(r"(ws://\S+/)<stationId>", _next_matching(lines, "listening on"))
        assert url is not None

        async def scenario() -> tuple[str, str]:
            async with Connected(url.group(1), "CS7") as cs:
                first = await cs.raw_call("BootNotification", boot_payload())
                second = await cs.raw_call("BootNotification", boot_payload())
                return first[2]["status"], second[2]["status"]

        assert asyncio.run(asyncio.wait_for(scenario(), WAIT)) == ("Pending", "Accepted")
        line = _next_matching(lines, r"CS7 -> CSMS\s+CALL\s+BootNotification")
        assert '"reason":"PowerUp"' in line
        reply = _next_matching(lines, r"CSMS -> CS7\s+RESULT\s+BootNotification")
        assert '"status":"Pending"' in reply
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(WAIT)


def test_sim_bad_config_exits_2(tmp_path: Path) -> None:
    from conformance.reference.csms.sim import sim_csms_main

    bad = tmp_path / "bad.toml"
    bad.write_text("no_such_key = 1\n", encoding="utf-8")
    assert sim_csms_main(["--listen", "127.0.0.1:0", "--config", str(bad)]) == 2


def test_frame_log_redacts_network_profile_password() -> None:
    text = '[2,"1","SetNetworkProfile",{"connectionData":{"basicAuthPassword":"s3cret-s3cret-s3cret"}}]'
    line = format_frame(FrameEvent(0.0, "CS1", "out", text, "SetNetworkProfile"))
    assert "s3cret" not in line and "CSMS -> CS1" in line and "SetNetworkProfile" in line


def test_from_description_registers_station_and_tokens() -> None:
    description = SutDescription()
    config = CsmsConfig.from_description(
        description, station_id="CS42", password="pw-0123456789abcdef", security_profile=1
    )
    assert config.stations["CS42"].password == "pw-0123456789abcdef"
    assert "pw-0123456789abcdef" not in repr(config)
    assert config.token(description.tokens.blocked.id_token).status == "Blocked"  # type: ignore[union-attr]
    assert config.token(description.tokens.unknown.id_token) is None


def test_from_toml_rejects_unknown_keys_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[stations.CS1]\nboot_status = "Maybe"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="boot_status"):
        CsmsConfig.from_toml(path)
    path.write_text('[id_tokens.T1]\nstatus = "Blocked"\n', encoding="utf-8")
    assert CsmsConfig.from_toml(path).id_tokens["T1"].status == "Blocked"
