"""The power an EVSE draws while charging: its rating, capped by the charging limit in force (block K).

The meter (meter.py) reads Power.Active.Import / Current.Import from here and integrates the energy
register piecewise between the instants where a limit may change, so both follow a charging profile or an
external limit (K12 / K13) as a real station's meter would. Limits in A become W as A * 230 V * phases
(smart_charging's conversion).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from conformance.reference.station import smart_charging as sc

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.model import Evse


def drawn_w(st: StationCore, evse: Evse, at: float) -> float:
    """The power (W) the EVSE draws at station time `at` when it charges."""
    if st.is_mutant("meter-ignores-limit"):  # the meter shows the rating whatever the limit
        return evse.power_w
    return max(0.0, min(evse.power_w, sc.limit_at(st, evse.evse_id, at, "W")))


def energy_wh(st: StationCore, evse: Evse, start: float, end: float) -> float:
    """The energy (Wh) drawn while charging from `start` to `end`, segment by segment of constant limit."""
    if end <= start:
        return 0.0
    points = sc._breakpoints(st, start, end) or [start]
    if points[0] > start:
        points.insert(0, start)
    bounds = [*points, end]
    return sum(drawn_w(st, evse, a) * (b - a) / 3600.0 for a, b in itertools.pairwise(bounds))
