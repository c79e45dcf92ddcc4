"""Reference-station mutants for TC_B_49_CS (B10.FR.07, C-47: the fallback's reconnection mechanism).

Both are honoured in `conformance.reference.station.network`.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant

MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        Mutant(
            name="network-fallback-ignores-backoff",
            target="station",
            breaks="B10.FR.07 (Part 4 5.3 back-off) / TC_B_49_CS",
            description="after every network profile failed, retries the last successful one at a short"
            " fixed interval instead of waiting RetryBackOffWaitMinimum",
        ),
        Mutant(
            name="network-fallback-wraps",
            target="station",
            breaks="B10.FR.07 / TC_B_49_CS",
            description="after every network profile failed, starts over with the first priority entry"
            " instead of reconnecting with the profile of its last successful connection",
        ),
    )
}
