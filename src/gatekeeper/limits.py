"""Every input limit, as one documented number each (README's "Limits").

A report is checked against these at the one door every report passes
(:meth:`gatekeeper.service.results.Results.ingest` and ``record``), whatever brought it
(the API, the CLI, a parser plugin, the bus, the forge), so a small input never expands into
a large stored one: a parser may expand its input (YAML aliases, templates), what it hands
on is bounded here. Nothing is stored when a limit is passed: the error names the result
and the key.
"""

from __future__ import annotations

from datetime import timedelta

MAX_ID_CHARS = 256
"""A result's own id (its reporter's), and a waiver's id."""

MAX_NAME_CHARS = 256
"""A testcase, scenario, arch or variant name."""

MAX_URL_CHARS = 4096
"""A result's ``ref_url``."""

MAX_TEXT_CHARS = 65_536
"""A result's ``note``; a waiver's comment."""

MAX_DATA_BYTES = 65_536
"""A result's ``data``, as compact UTF-8 JSON."""

MAX_DATA_DEPTH = 16
"""How deep ``data`` may nest objects and lists."""

MAX_DATA_INTEGER = 2**63 - 1
"""The largest integer (in magnitude) in ``data``: a signed 64-bit one."""

MAX_REPORT_RESULTS = 100_000
"""Results in one report (one upload, one file, one message)."""

MAX_REPORT_BYTES = 64 * 1024 * 1024
"""What one report may store in all: the sum of its results' text and data."""

DEFAULT_CLOCK_SKEW = timedelta(minutes=10)
"""How far ahead of the server's clock a ``submit_time`` may be (``[results]
max_clock_skew``): a result from further in the future is refused, as it would outrank
every later real one."""

MAX_EXPIRES = timedelta(days=366)
"""How far ahead a waiver's or a known issue's ``expires`` may be (a policy's
``waivers: {max_expires: ..}`` may cap it further)."""

MAX_RETRIES = 10
"""A gate's ``retries:``: automatic rerun requests per result key after an ``ERROR``."""
