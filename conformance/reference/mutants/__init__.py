"""Mutants added per functional block, beside the core registries in mutants_station / mutants_csms.

Each module here defines `MUTANTS: dict[str, Mutant]` (its `target` says which SUT it breaks); the
registries merge them, so each block's cases can add the faults they exist to catch.
"""

from __future__ import annotations

import importlib
import pkgutil

from conformance.reference.mutant import Mutant


def extra_mutants(target: str) -> dict[str, Mutant]:
    found: dict[str, Mutant] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for name, mutant in getattr(module, "MUTANTS", {}).items():
            if mutant.target == target:
                if name in found:
                    raise ValueError(f"mutant {name!r} is defined twice ({module_info.name})")
                found[name] = mutant
    return found
