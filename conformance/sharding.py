"""Split the selected cases into N balanced parts, the same way in every process that asks.

Each part of a parallel `ocpp-conformance run` collects the whole suite and keeps its own share, so the
split must be a pure function of the selected keys and the weights: greedy longest-first onto the
lightest part, ties broken by key order. Within a part the cases keep the suite's order (Part 6's
general preconditions make every case self-contained, so any subset runs in order).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

from conformance.errors import ConfigError


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4): part 2 of 4, 1-based."""
    try:
        index_text, count_text = text.split("/", 1)
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise ConfigError(f"--ocpp-shard: expected I/N such as 2/4, got {text!r}") from None
    if count < 1 or not 1 <= index <= count:
        raise ConfigError(f"--ocpp-shard: part {index} of {count} does not exist (1 <= I <= N)")
    return index, count


def load_weights(path: Path | None) -> dict[str, float]:
    """{key: seconds} from a JSON file; a missing or unreadable file gives no weights (the split is then
    by count), since weights only balance the parts and never change what runs."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float) and v >= 0}


def partition(keys: Sequence[str], weights: Mapping[str, float], parts: int) -> list[set[str]]:
    """The keys in `parts` sets whose summed weights are as even as greedy longest-first makes them."""
    unique = list(dict.fromkeys(keys))
    known = [weights[k] for k in unique if k in weights]
    default = statistics.median(known) if known else 1.0
    # Fixed start-up work per case (connect, preconditions): never weigh a case as free.
    weight = {k: max(weights.get(k, default), 0.05) for k in unique}
    order = sorted(range(len(unique)), key=lambda i: (-weight[unique[i]], i))
    loads = [0.0] * parts
    shares: list[set[str]] = [set() for _ in range(parts)]
    for i in order:
        lightest = min(range(parts), key=lambda p: (loads[p], p))
        shares[lightest].add(unique[i])
        loads[lightest] += weight[unique[i]]
    return shares
