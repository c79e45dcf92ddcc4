"""The fuzz property engine: Hypothesis drives examples, the event loop sends them.

A fuzz case runs inside the plugin's event loop, where `@given` cannot run (it is synchronous and
would block the loop that owns the sockets). So the whole Hypothesis test runs in one worker thread;
for each example it submits the async check to the loop (`run_coroutine_threadsafe`) and blocks on
the verdict with a bound. The test's task awaits a future the worker settles, so the loop stays
free to run the checks, and shrinking works as usual. The worker is a daemon thread that polls a
stop flag, so a case cancelled by its timeout lets go of it at once. Nothing here opens allure
steps: the worker collects verdicts, and the test task reports them after the worker ends
(`FuzzRun.raise_if_failed`).

Settings (env over pytest ini over defaults, `resolve_fuzz_settings`): examples per case, strict
codes, the seed, the Hypothesis database folder, the time allowed for shrinking. With `CI` set the
run is derandomized (fixed seeds, no database), as issue 8 asks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import FlakyFailure

from conformance.errors import (
    ConformanceFailure,
    HarnessError,
    SchemaViolationFailure,
    SutDisconnected,
    SutTimeout,
)
from conformance.fuzz.examples import FuzzExample

DEFAULT_EXAMPLES = 75  # both blocks vs tiny local peers: ~25 s idle, ~40 s on 2 loaded cores
DEFAULT_SHRINK_SECONDS = 20.0
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
# Message keys of conformance.report.allure_labels (the report's failure categories match on them).
_KEYS: tuple[tuple[type[ConformanceFailure], str], ...] = (
    (SchemaViolationFailure, "[schema]"),
    (SutTimeout, "[timeout]"),
    (SutDisconnected, "[disconnected]"),
)


@dataclass(frozen=True)
class FuzzSettings:
    examples: int = DEFAULT_EXAMPLES
    strict: bool = False  # demand the one exact CALLERROR code per fault
    derandomize: bool = False  # CI: the same examples on every run, no database
    seed: int | None = None  # None: a fresh random seed (reported for replay)
    database: Path | None = None
    shrink_seconds: float = DEFAULT_SHRINK_SECONDS  # after the first failure; then reuse results only


def _flag(value: object) -> bool:
    return str(value).strip().lower() in TRUE_WORDS


def resolve_fuzz_settings(
    ini: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    reports_dir: Path | None = None,
) -> FuzzSettings:
    """Env `OCPP_FUZZ_<NAME>` over ini `ocpp_fuzz_<name>` over defaults.

    Names: EXAMPLES, STRICT, SEED, DB (folder, default `<reports>/hypothesis-db`), SHRINK_SECONDS.
    `CI` in the environment derandomizes unless a seed is given."""
    env = os.environ if environ is None else environ
    ini = ini or {}

    def get(name: str) -> str | None:
        value = env.get(f"OCPP_FUZZ_{name.upper()}")
        if value in (None, ""):
            raw = ini.get(f"ocpp_fuzz_{name}")
            value = None if raw in (None, "", []) else str(raw)
        return value

    try:
        examples = int(get("examples") or DEFAULT_EXAMPLES)
        seed_value = get("seed")
        shrink = float(get("shrink_seconds") or DEFAULT_SHRINK_SECONDS)
        seed_number = int(seed_value) if seed_value is not None else None
    except ValueError as exc:
        raise HarnessError(f"fuzz settings: {exc}") from None
    if examples < 1:
        raise HarnessError(f"fuzz settings: OCPP_FUZZ_EXAMPLES must be at least 1, got {examples}")
    db = get("db")
    database = Path(db) if db else (reports_dir or Path("reports")) / "hypothesis-db"
    derandomize = bool(env.get("CI")) and seed_number is None
    return FuzzSettings(
        examples=examples,
        strict=_flag(get("strict") or ""),
        derandomize=derandomize,
        seed=seed_number,
        database=None if derandomize else database,
        shrink_seconds=shrink,
    )


@dataclass(frozen=True)
class Verdict:
    """The result of one example against the SUT."""

    passed: bool
    prop: str = ""  # which property failed: valid-answer, invalid-rejected, alive
    message: str = ""
    frame: str = ""  # exactly what was sent
    answer: str = ""  # what the SUT answered (text), or why there was no answer
    error: type[ConformanceFailure] = ConformanceFailure
    label: str = ""  # short answer class for the tallies: CALLRESULT, CALLERROR <code>, no reply

    @classmethod
    def ok(cls, label: str) -> Verdict:
        return cls(True, label=label)


Check = Callable[[FuzzExample], Coroutine[Any, Any, Verdict]]


class _PropertyFailed(AssertionError):
    def __init__(self, example: FuzzExample, verdict: Verdict) -> None:
        super().__init__(f"{verdict.prop}: {verdict.message}")
        self.example = example
        self.verdict = verdict


class TargetLost(Exception):
    """Raised by a check when the SUT cannot be reached for the next example (it did not come back
    after a disconnect): the run stops, reporting the last failure seen and this."""


class _Stopped(Exception):
    """The test task is gone (case timeout): stop sending."""


@dataclass
class FuzzRun:
    """What one fuzz case did: counts, and the minimal failing example if any."""

    case_id: str
    settings: FuzzSettings
    seed: int | None
    command: str  # the pytest command that runs this case alone
    sent: int = 0
    valid: int = 0
    invalid: int = 0
    codes: dict[str, int] = field(default_factory=dict)  # "rule -> answer" tallies
    failure: _PropertyFailed | None = None
    flaky: bool = False
    lost: str = ""  # why the SUT could not be reached any more (the run stopped early)
    duration: float = 0.0

    @property
    def replay(self) -> str:
        """The command that replays this run: the same seed, or CI's derandomized examples."""
        if self.settings.derandomize:
            return f"CI=1 {self.command}"
        return f"OCPP_FUZZ_SEED={self.seed} {self.command}" if self.seed is not None else self.command

    def summary(self) -> str:
        tally = ", ".join(f"{k}: {v}" for k, v in sorted(self.codes.items()))
        mode = "strict" if self.settings.strict else "lenient"
        origin = "derandomized (CI)" if self.seed is None else f"seed {self.seed}"
        return (
            f"{self.case_id}: {self.sent} example(s) sent ({self.valid} valid, {self.invalid} invalid),"
            f" {mode} codes, {origin}, {self.duration:.1f} s\n  answers: {tally or 'none'}"
        )

    def failure_report(self) -> str:
        if self.failure is None:
            return f"{self.case_id}: the SUT was lost: {self.lost}" if self.lost else ""
        ex, v = self.failure.example, self.failure.verdict
        lines = [
            f"{self.case_id}: property '{v.prop}' failed on the minimal example"
            + (" (flaky: it did not fail again on replay)" if self.flaky else ""),
            f"  example: {ex.describe()}",
            f"  {v.message}",
            f"  minimal frame (ready to send): {v.frame}",
        ]
        if v.answer:
            lines.append(f"  SUT answer: {v.answer}")
        if ex.direction == "request" and not ex.valid:
            lines.append(f"  expected: CALLERROR {self._expected(ex)}")
        if self.lost:
            lines.append(f"  then the SUT was lost (shrinking stopped): {self.lost}")
        lines.append(f"  replay: {self.replay}")
        if self.settings.database is not None and self.settings.seed is None:
            lines.append(
                f"  Hypothesis database: {self.settings.database} (running the case again replays it first)"
            )
        return "\n".join(lines)

    def _expected(self, ex: FuzzExample) -> str:
        fault = ex.framing or ex.invalid
        assert fault is not None
        codes = fault.exact_code if self.settings.strict else " or ".join(sorted(fault.allowed_codes))
        optional = ex.framing is not None and not ex.framing.expects_reply
        return f"{codes}{' (or no reply)' if optional else ''}"

    def raise_if_failed(self) -> None:
        """Raise the failure as its kind of ConformanceFailure, message keyed like the harness's others."""
        __tracebackhide__ = True
        if self.failure is None and self.lost:
            raise SutDisconnected(f"[disconnected] {self.failure_report()}")
        if self.failure is not None:
            error = self.failure.verdict.error
            key = next((k for cls, k in _KEYS if issubclass(error, cls)), "[conformance]")
            raise error(f"{key} {self.failure_report()}")


def _hypothesis_settings(fuzz: FuzzSettings) -> hypothesis_settings:
    database = (
        DirectoryBasedExampleDatabase(str(fuzz.database))
        if fuzz.database is not None and not fuzz.derandomize
        else None
    )
    return hypothesis_settings(
        max_examples=fuzz.examples,
        deadline=None,  # network round trips
        derandomize=fuzz.derandomize,
        database=database,
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


async def run_fuzz(
    case_id: str,
    strategy: st.SearchStrategy[FuzzExample],
    check: Check,
    fuzz: FuzzSettings,
    *,
    example_timeout: float,
    replay: str,
) -> FuzzRun:
    """Run `check` on examples of `strategy` until `fuzz.examples` are done or one fails (then shrink).

    Call from a task on the loop that owns the sessions. Verdicts are cached by example content, so
    a replay during shrinking costs nothing; `replay` is the pytest command that runs the case
    alone (the report prepends the seed); after `shrink_seconds` of shrinking, unseen examples
    are not sent any more and Hypothesis settles on the smallest failure seen so far."""
    loop = asyncio.get_running_loop()
    run = FuzzRun(case_id, fuzz, fuzz.seed, replay)
    cache: dict[str, Verdict] = {}
    stop = threading.Event()
    first_failure: list[float] = []
    last_failure: list[_PropertyFailed] = []
    fatal: list[BaseException] = []

    def one(example: FuzzExample) -> None:
        if stop.is_set():
            raise _Stopped()
        if fatal:
            raise fatal[0]
        key = example.key()
        verdict = cache.get(key)
        if verdict is None:
            if first_failure and time.monotonic() - first_failure[0] > fuzz.shrink_seconds:
                return  # shrink budget spent: treat unseen examples as not failing
            try:
                verdict = _on_loop(loop, check(example), example_timeout, stop)
            except concurrent.futures.TimeoutError:
                fatal.append(HarnessError(f"{case_id}: one example took over {example_timeout:g} s"))
                raise fatal[0] from None
            except TargetLost as exc:
                run.lost = str(exc)
                stop.set()
                raise _Stopped() from None
            except ConformanceFailure as exc:  # a check that raised instead of returning a verdict
                verdict = Verdict(False, "alive", str(exc), error=type(exc))
            except Exception as exc:
                fatal.append(exc)
                raise
            cache[key] = verdict
            _count(run, example, verdict)
        if not verdict.passed:
            if not first_failure:
                first_failure.append(time.monotonic())
            failed = _PropertyFailed(example, verdict)
            last_failure[:] = [failed]  # while shrinking: the smallest so far
            raise failed

    one._hypothesis_internal_add_digest = case_id.encode()  # type: ignore[attr-defined]
    test = given(strategy)(one)
    test = _hypothesis_settings(fuzz)(test)
    if fuzz.seed is not None and not fuzz.derandomize:
        test = seed(fuzz.seed)(test)  # a replay: Hypothesis then neither reads nor writes the database

    done: asyncio.Future[None] = loop.create_future()

    def worker() -> None:
        error: BaseException | None = None
        try:
            test()
        except _PropertyFailed as failed:
            run.failure = failed
        except _Stopped:
            pass
        except FlakyFailure as group:
            run.failure = next((e for e in group.exceptions if isinstance(e, _PropertyFailed)), None)
            run.flaky = True
            error = None if run.failure is not None else group
        except BaseException as exc:  # a harness fault: re-raised in the test's task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone (the case was cancelled)
            loop.call_soon_threadsafe(_settle, done, error)

    started = time.monotonic()
    # A daemon thread, not the loop's executor: a cancelled case must not hold up interpreter exit.
    threading.Thread(target=worker, name=f"fuzz-{case_id}", daemon=True).start()
    try:
        await done
    finally:
        stop.set()  # also when the case timeout cancels us: the worker stops at its next example
        run.duration = time.monotonic() - started
    if run.lost and run.failure is None and last_failure:
        run.failure = last_failure[0]
    if run.seed is None and not fuzz.derandomize:
        # The seed Hypothesis drew for this run: OCPP_FUZZ_SEED=<it> regenerates the same examples.
        run.seed = getattr(test, "_hypothesis_internal_use_generated_seed", None)
    return run


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _on_loop(
    loop: asyncio.AbstractEventLoop,
    coroutine: Coroutine[Any, Any, Verdict],
    limit: float,
    stop: threading.Event,
) -> Verdict:
    """Run `coroutine` on the loop from the worker thread; wait at most `limit` seconds, in short
    slices so a stopped case lets go at once."""
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    deadline = time.monotonic() + limit
    while True:
        try:
            return future.result(timeout=min(0.5, max(0.0, deadline - time.monotonic())))
        except concurrent.futures.TimeoutError:
            if stop.is_set():
                future.cancel()
                raise _Stopped() from None
            if time.monotonic() >= deadline:
                future.cancel()
                raise


def _count(run: FuzzRun, example: FuzzExample, verdict: Verdict) -> None:
    run.sent += 1
    if example.valid:
        run.valid += 1
    else:
        run.invalid += 1
    label = example.rule
    key = f"{label} -> {verdict.label if verdict.passed else 'FAILED'}"
    run.codes[key] = run.codes.get(key, 0) + 1
