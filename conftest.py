"""Project-wide pytest settings. The ocpp plugin itself is registered by the `pytest11` entry point only
(registering it here again would make pytest fail on a duplicate plugin)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI replays the same examples every run; developers get fresh ones locally.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
