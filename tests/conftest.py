"""Suite-wide settings. Fixtures come from the ``gatekeeper.testing`` pytest plugin."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# A loaded 2-core CI machine must not turn slow data generation into a failure; in CI the
# examples are derived from a fixed seed so a run can be repeated exactly.
settings.register_profile(
    "gatekeeper",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI", "").lower() == "true",
)
settings.load_profile("gatekeeper")
