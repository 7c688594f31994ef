"""gatekeeper-junit: report JUnit XML results to gatekeeper."""

from __future__ import annotations

__version__ = "0.1.0"

#: What the caller of an upload may say about it (the HTTP API's query options): labels of
#: its results. The rest is the site's (``[junit]`` settings) or the calling code's.
CALLER_OPTIONS = frozenset({"namespace", "arch", "scenario", "variant", "ref_url", "run_id"})
