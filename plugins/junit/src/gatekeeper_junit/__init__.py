"""gatekeeper-junit: report JUnit XML results to gatekeeper."""

from __future__ import annotations

__version__ = "0.1.0"
