"""gatekeeper-tmt: tmt runs as gatekeeper results, both ways.

- ``gatekeeper report tmt RUN_DIR`` and the ``tmt`` result format (``gatekeeper_tmt.plugin``,
  entry point group ``gatekeeper``);
- ``tmt run ... report --how gatekeeper`` (``gatekeeper_tmt.tmt_report``, entry point group
  ``tmt.plugin``).

Importing this package imports neither gatekeeper's CLI nor tmt.
"""

__version__ = "0.1.0"

#: What the caller of a ``tmt`` upload may say about it (the HTTP API's query options):
#: labels of its results. The code calling the parser also gives ``file``, ``guests``
#: (guest name -> arch) and ``now``.
CALLER_OPTIONS = frozenset({"namespace", "arch", "plan", "scenario", "log_url", "run", "run_id"})
