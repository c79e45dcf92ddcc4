"""Which collected test cases run: SUT type, certification profile, and applicability.

Cases for the other SUT type are deselected (not skipped); cases outside the chosen profiles too.
A conditional case whose condition over the SUT's declared features is false is skipped as
not applicable, with the condition in the reason.
"""

from __future__ import annotations

import pytest

from conformance.catalogue import Catalogue, applicability
from conformance.settings import RunSettings


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
