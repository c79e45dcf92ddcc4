"""The engine without a network: Hypothesis in a worker thread, checks on the caller's loop,
shrinking to the minimal failing example, the cache, derandomized replay, and the judge."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

import pytest

from conformance.errors import SutDisconnected
from conformance.fuzz.engine import FuzzRun, FuzzSettings, TargetLost, Verdict, run_fuzz
from conformance.fuzz.examples import FuzzExample, csms_request_examples, station_request_examples
from conformance.fuzz.invalid import InvalidPayload
from conformance.fuzz.properties import judge_request
from conformance.ocppj.frames import CallError, CallResult


def _run(strategy_action: str, check_fails: str | None, settings: FuzzSettings) -> tuple[FuzzRun, set[int]]:
    """Run the engine; the check fails for invalid examples of rule `check_fails`."""
    threads: set[int] = set()

    async def check(example: FuzzExample) -> Verdict:
        threads.add(threading.get_ident())
        await asyncio.sleep(0)  # a real await on the loop, as a socket round trip would be
        if example.invalid is not None and example.invalid.rule == check_fails:
            return Verdict(
                False, "invalid-rejected", "accepted", frame=example.frame("id1"), error=SutDisconnected
            )
        return Verdict.ok("CALLERROR X" if example.invalid else "CALLRESULT")

    async def main() -> tuple[FuzzRun, int]:
        run = await run_fuzz(
            "FZ_Test_CSMS",
            csms_request_examples(strategy_action),
            check,
            settings,
            example_timeout=5,
            replay="python -m pytest -k FZ_Test_CSMS",
        )
        return run, threading.get_ident()

    run, loop_thread = asyncio.run(main())
    assert threads == {loop_thread}, "checks must run on the loop's thread, not Hypothesis's worker"
    return run, threads


def test_a_passing_run_sends_examples_and_tallies_answers() -> None:
    run, _ = _run("Heartbeat", None, FuzzSettings(examples=40, derandomize=True))
    assert run.failure is None
    assert 10 <= run.sent <= 40 and run.valid and run.invalid
    assert "valid -> CALLRESULT" in run.summary() and "derandomized (CI)" in run.summary()
    run.raise_if_failed()


def test_a_failure_is_shrunk_to_the_minimal_frame_with_a_replay_command(tmp_path: Path) -> None:
    settings = FuzzSettings(examples=200, seed=1234, database=tmp_path / "db")
    run, _ = _run("Heartbeat", "additionalProperties", settings)
    assert run.failure is not None
    example = run.failure.example
    assert example.invalid is not None and example.invalid.rule == "additionalProperties"
    assert example.payload == {"A": "x"}, example.payload  # the simplest undeclared property
    report = run.failure_report()
    assert 'minimal frame (ready to send): [2,"id1","Heartbeat",{"A":"x"}]' in report
    assert "replay: OCPP_FUZZ_SEED=1234 python -m pytest -k FZ_Test_CSMS" in report
    assert "ProtocolError" in report
    assert "Hypothesis database" not in report  # a seeded replay neither reads nor writes it
    try:
        run.raise_if_failed()
    except SutDisconnected as exc:
        assert str(exc).startswith("[disconnected] FZ_Test_CSMS: property 'invalid-rejected'")
    else:
        raise AssertionError("raise_if_failed did not raise")


def test_derandomized_runs_repeat_exactly() -> None:
    first, _ = _run("StatusNotification", None, FuzzSettings(examples=25, derandomize=True))
    second, _ = _run("StatusNotification", None, FuzzSettings(examples=25, derandomize=True))
    assert first.codes == second.codes and first.sent == second.sent


def _invalid(rule: str, allowed: set[str], exact: str) -> FuzzExample:
    bad = InvalidPayload({"x": 1}, "added 'x'", "$", rule, frozenset(allowed), exact)
    return FuzzExample("Heartbeat", "request", {"x": 1}, bad)


def test_judge_valid_requests() -> None:
    valid = FuzzExample(
        "BootNotification", "request", {"reason": "PowerUp", "chargingStation": {"model": "m"}}
    )
    assert judge_request(valid, CallResult("1", {}), strict=True).passed
    assert judge_request(valid, CallError("1", "NotSupported", "", {}), strict=True).passed
    choked = judge_request(
        valid, CallError("1", "FormatViolation", "bad model", {"at": "model"}), strict=False
    )
    assert not choked.passed and choked.prop == "valid-accepted"
    assert "'bad model'" in choked.message and "{'at': 'model'}" in choked.message
    assert '$.chargingStation.model = "m"' in choked.message and '$.reason = "PowerUp"' in choked.message


def test_judge_invalid_requests_lenient_and_strict() -> None:
    example = _invalid("additionalProperties", {"ProtocolError", "FormatViolation"}, "ProtocolError")
    assert not judge_request(example, CallResult("1", {}), strict=False).passed
    assert judge_request(example, CallError("1", "FormatViolation", "", {}), strict=False).passed
    strict = judge_request(example, CallError("1", "FormatViolation", "", {}), strict=True)
    assert not strict.passed and "allowed: ProtocolError (strict)" in strict.message
    assert judge_request(example, None, strict=False).passed  # dropped: only asked where permitted


def test_destructive_station_requests_are_defused() -> None:
    from hypothesis import given, settings

    @settings(max_examples=30, derandomize=True, database=None)
    @given(station_request_examples("Reset"))
    def reset_never_targets_the_whole_station(example: FuzzExample) -> None:
        if example.valid:
            assert example.payload["evseId"] == 987

    reset_never_targets_the_whole_station()

    @settings(max_examples=30, derandomize=True, database=None)
    @given(station_request_examples("UpdateFirmware"))
    def firmware_updates_are_never_valid(example: FuzzExample) -> None:
        assert not example.valid

    firmware_updates_are_never_valid()


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fuzz-FZ_Stuck")]


def test_a_cancelled_case_releases_its_worker_thread() -> None:
    async def stuck(example: FuzzExample) -> Verdict:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def main() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                run_fuzz(
                    "FZ_Stuck_CSMS",
                    csms_request_examples("Heartbeat"),
                    stuck,
                    FuzzSettings(examples=5, derandomize=True),
                    example_timeout=3600,
                    replay="",
                ),
                0.3,
            )

    asyncio.run(main())
    deadline = time.monotonic() + 5
    while _worker_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _worker_threads(), "the worker must stop within one polling slice of the cancellation"


def test_a_harness_fault_in_a_check_propagates_unchanged() -> None:
    async def broken(example: FuzzExample) -> Verdict:
        raise KeyError("harness bug")

    async def main() -> None:
        await run_fuzz(
            "FZ_Broken_CSMS",
            csms_request_examples("Heartbeat"),
            broken,
            FuzzSettings(examples=5, derandomize=True),
            example_timeout=5,
            replay="",
        )

    with pytest.raises(KeyError, match="harness bug"):
        asyncio.run(main())


def test_a_sut_that_does_not_come_back_stops_the_run_with_the_failure_seen() -> None:
    failures: list[FuzzExample] = []

    async def check(example: FuzzExample) -> Verdict:
        if failures:
            raise TargetLost("the station did not reconnect: [timeout] waited 1 s")
        if example.invalid is not None:
            failures.append(example)
            return Verdict(False, "alive", "closed the connection", frame="F", error=SutDisconnected)
        return Verdict.ok("CALLRESULT")

    async def main() -> FuzzRun:
        return await run_fuzz(
            "FZ_Lost_CSMS",
            csms_request_examples("Heartbeat"),
            check,
            FuzzSettings(examples=50, derandomize=True),
            example_timeout=5,
            replay="",
        )

    run = asyncio.run(main())
    assert run.failure is not None and run.failure.example == failures[0]
    assert "the station did not reconnect" in run.lost
    with pytest.raises(SutDisconnected, match="then the SUT was lost"):
        run.raise_if_failed()


def test_judge_framing_faults() -> None:
    from conformance.fuzz.framing import FramingFault
    from conformance.fuzz.properties import readable_id

    unknown = FramingFault(
        '[7,"m1","Heartbeat",{}]',
        "message-type-unknown",
        frozenset({"MessageTypeNotSupported"}),
        "MessageTypeNotSupported",
        True,
    )
    example = FuzzExample("Heartbeat", "request", {}, framing=unknown)
    assert readable_id(unknown) == "m1" and not example.valid and example.rule == "message-type-unknown"
    assert judge_request(example, CallError("m1", "MessageTypeNotSupported", "", {}), strict=True).passed
    wrong = judge_request(example, CallError("m1", "FormatViolation", "", {}), strict=False)
    assert not wrong.passed and "framing fault 'message-type-unknown'" in wrong.message
    garbage = FramingFault("hello", "not-json", frozenset({"RpcFrameworkError"}), "RpcFrameworkError", False)
    assert readable_id(garbage) == "-1"
    assert judge_request(FuzzExample("Heartbeat", "request", {}, framing=garbage), None, strict=True).passed
