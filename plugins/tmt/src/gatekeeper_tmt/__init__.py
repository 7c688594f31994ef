"""gatekeeper-tmt: tmt runs as gatekeeper results, both ways.

- ``gatekeeper report tmt RUN_DIR`` and the ``tmt`` result format (``gatekeeper_tmt.plugin``,
  entry point group ``gatekeeper``);
- ``tmt run ... report --how gatekeeper`` (``gatekeeper_tmt.tmt_report``, entry point group
  ``tmt.plugin``).

Importing this package imports neither gatekeeper's CLI nor tmt.
"""

__version__ = "0.1.0"
