"""Reference-station mutant for TC_A_20_CS (A05.FR.02: no upgrade without a CSMSRootCertificate).

Honoured in `conformance.reference.station.network` (the NetworkConfigurationPriority checks).
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant

MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        Mutant(
            name="upgrade-without-csms-root-accepted",
            target="station",
            breaks="A05.FR.02 / TC_A_20_CS",
            description="accepts a NetworkConfigurationPriority whose first slot uses security profile 2 or"
            " 3 though no CSMSRootCertificate is installed",
        ),
    )
}
