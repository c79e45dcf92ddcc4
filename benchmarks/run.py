"""Frame-pipeline benchmark: `python benchmarks/run.py [--quick] [--profile]`.

On one core, over an equal-weight mix of six realistic schema-valid frames (benchmarks/frames/), it
measures frames per second of:
  ocpp       the `ocpp` library (2.x) receiving a frame: `messages.unpack` + its synchronous schema
             validation (`_validate_payload`, i.e. ASYNC_VALIDATION off, cached Draft4Validator)
  json       `json.loads` alone (no validation at all)
  orjson     `orjson.loads` alone (for reference)
  ours       `FrameValidator.decode`: parse + OCPP-J framing + full schema and date-time validation
Then (unless --no-scale) the scale rows of benchmarks/scale.py: N reference stations in one process
against one validating CSMS peer (quick: N=100; full: 100, 1,000, 10,000).
The last line is machine-readable:
  validation_speedup_vs_ocpp=<ours/ocpp> parse_validate_vs_json_loads=<ours/json>
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from conformance.ocppj.validation import FrameValidator  # noqa: E402

FRAME_NAMES = [
    "BootNotification",
    "StatusNotification",
    "Heartbeat",
    "TransactionEvent",
    "SetChargingProfile",
    "NotifyReport",
]


def load_frames() -> list[str]:
    return [(HERE / "frames" / f"{name}.json").read_text(encoding="utf-8") for name in FRAME_NAMES]


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def rate(fn: Callable[[str], object], frames: list[str], seconds: float, repeats: int) -> float:
    """Best-of-`repeats` frames/s of `fn` over whole rounds of the mix, each round ~`seconds`."""
    for text in frames:  # warm caches (compiled validators) outside the timing
        fn(text)
    best = 0.0
    for _ in range(repeats):
        rounds = 0
        gc.collect()
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            for text in frames:
                fn(text)
            rounds += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, rounds * len(frames) / (now - start))
    return best


def ocpp_receiver() -> Callable[[str], object]:
    from ocpp import messages

    messages.ASYNC_VALIDATION = False

    def receive(text: str) -> object:
        msg = messages.unpack(text)
        messages._validate_payload(msg, "2.0.1")
        return msg

    return receive


def per_frame(fn: Callable[[str], object], frames: list[str], seconds: float) -> dict[str, float]:
    return {name: rate(fn, [text], seconds, 1) for name, text in zip(FRAME_NAMES, frames, strict=True)}


def profile(validator: FrameValidator, frames: list[str]) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(2000):
        for text in frames:
            validator.decode(text)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(8)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short runs (< 1 minute in all)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of decode")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale rows (benchmarks/scale.py)")
    args = parser.parse_args()
    seconds, repeats = (1.0, 3) if args.quick else (3.0, 5)

    pinned = pin_one_core()
    frames = load_frames()
    validator = FrameValidator()
    for name, text in zip(FRAME_NAMES, frames, strict=True):
        if validator.decode(text).violations:
            raise SystemExit(f"frame {name} is invalid; regenerate with benchmarks/make_frames.py")

    print(f"python {platform.python_version()} on {platform.machine()} {platform.system()}, {pinned}")
    print(f"cpu: {_cpu_model()}; ocpp {_version('ocpp')}, jsonschema-rs {_version('jsonschema-rs')}")
    sizes = ", ".join(f"{n} {len(t.encode())} B" for n, t in zip(FRAME_NAMES, frames, strict=True))
    print(f"mix: {sizes}")

    results = {
        "ocpp": rate(ocpp_receiver(), frames, seconds * 2, repeats if not args.quick else 1),
        "json": rate(json.loads, frames, seconds, repeats),
        "orjson": rate(orjson.loads, frames, seconds, repeats),
        "ours": rate(validator.decode, frames, seconds, repeats),
    }
    for name, value in results.items():
        print(f"{name:>7}: {value:>12,.0f} frames/s")
    if not args.quick:
        print("ours per frame type (frames/s):")
        for name, value in per_frame(validator.decode, frames, seconds / 2).items():
            print(f"  {name:>20}: {value:>12,.0f}")
        print("ocpp per frame type (frames/s):")
        for name, value in per_frame(ocpp_receiver(), frames, seconds / 2).items():
            print(f"  {name:>20}: {value:>12,.0f}")
        invalid = frames[3].replace('"seqNo":12', '"seqNo":"12"')  # TransactionEvent, one type error
        if not validator.decode(invalid).violations:
            raise SystemExit("the invalid benchmark frame is valid")
        slow = rate(validator.decode, [invalid], seconds / 2, 1)
        print(f"ours, invalid TransactionEvent (reference error walk): {slow:,.0f} frames/s")
    if args.profile:
        profile(validator, frames)
    if not args.no_scale:  # issue 9 item 3; quick: N=100 only. Printed before the machine-readable line.
        for row in scale_rows([100] if args.quick else [100, 1000, 10000]):
            print(row, flush=True)
    x = results["ours"] / results["ocpp"]
    y = results["ours"] / results["json"]
    print(f"validation_speedup_vs_ocpp={x:.1f} parse_validate_vs_json_loads={y:.2f}")


def scale_rows(sizes: list[int]) -> list[str]:
    """N reference stations against one validating CSMS peer; each N in its own processes."""
    from scale import run_scale  # benchmarks/scale.py (this script's directory is on sys.path)

    return [result.row() for result in run_scale(sizes)]


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
