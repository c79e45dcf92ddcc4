"""Which collected test cases run: SUT type, certification profile, and applicability.

Cases for the other SUT type are deselected (not skipped); cases outside the chosen profiles too.
A conditional case whose condition over the SUT's declared features is false is skipped as
not applicable, with the condition in the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.catalogue import Catalogue, applicability
from conformance.errors import ConfigError
from conformance.settings import RunSettings
from conformance.sharding import load_weights, parse_shard, partition


def _case_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("ocpp_case")
    return str(marker.args[0]) if marker and marker.args else None


def _fuzz_sut(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("ocpp_fuzz")
    if marker is None:
        return None
    return "csms" if str(marker.kwargs.get("sut", "")).lower() == "csms" else "charging-station"


def select_items(config: pytest.Config, settings: RunSettings, items: list[pytest.Item]) -> None:
    from conformance.reporting import IMPLEMENTED_KEY

    implemented = config.stash.setdefault(IMPLEMENTED_KEY, set())
    catalogue: Catalogue | None = None
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        case_id = _case_id(item)
        fuzz_sut = _fuzz_sut(item)
        if case_id is None and fuzz_sut is None:
            keep.append(item)
            continue
        if fuzz_sut is not None:
            (keep if fuzz_sut in settings.sut_types else drop).append(item)
            continue
        assert case_id is not None
        implemented.add(case_id)
        catalogue = catalogue or Catalogue.load()
        info = catalogue.get(case_id)
        if info.sut_type not in settings.sut_types:
            drop.append(item)
            continue
        marks = [mark for mark in info.profiles if not settings.profiles or mark.profile in settings.profiles]
        if settings.profiles and not marks:
            drop.append(item)
            continue
        conditional = [mark for mark in marks if mark.requirement == "C"]
        if conditional and len(conditional) == len(marks):
            features = settings.features_for(info.sut_type)
            verdicts = [applicability(info, mark.profile, features) for mark in conditional]
            if not any(v.applicable for v in verdicts):
                missing = sorted({f for v in verdicts for f in v.missing_features})
                why = f" (not declared: {', '.join(missing)})" if missing else ""
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"[not-applicable] condition {verdicts[0].condition} does not hold for the"
                        f" SUT's declared features{why}"
                    )
                )
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _part_key(item: pytest.Item) -> str:
    """What a part owns: a test case (its items together), a fuzz case (FZ_...), or any other test."""
    case_id = _case_id(item)
    if case_id:
        return case_id
    param = getattr(getattr(item, "callspec", None), "id", "")
    return param if param.startswith("FZ_") else item.nodeid  # a fuzz case's id is its parameter


def select_part(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--ocpp-cases (only these ids) and --ocpp-shard I/N (this part's share): deselect the rest."""
    wanted_text = config.getoption("ocpp_cases", None)
    shard_text = config.getoption("ocpp_shard", None)
    if not wanted_text and not shard_text:
        return
    keep = list(items)
    if wanted_text:
        wanted = {w.strip() for w in str(wanted_text).split(",") if w.strip()}
        keep = [item for item in keep if _part_key(item) in wanted]
    if shard_text:
        try:
            index, count = parse_shard(str(shard_text))
        except ConfigError as exc:
            raise pytest.UsageError(f"ocpp-conformance: {exc}") from None
        weights_path = config.getoption("ocpp_shard_weights", None)
        weights = load_weights(Path(weights_path) if weights_path else None)
        share = partition([_part_key(item) for item in keep], weights, count)[index - 1]
        keep = [item for item in keep if _part_key(item) in share]
    drop = [item for item in items if item not in keep]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
