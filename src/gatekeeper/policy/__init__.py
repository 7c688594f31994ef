"""Policies: ``policies/<team>.yaml`` -> :class:`~gatekeeper.model.Policy` objects.

- :mod:`~gatekeeper.policy.reader`: reading and checking policy files, across files too;
- :mod:`~gatekeeper.policy.schema`: the published JSON Schema of a policy file;
- :mod:`~gatekeeper.policy.globs`: testcase globs (``owns``) and their overlaps;
- :mod:`~gatekeeper.policy.yamlsafe`: the safe YAML reader every located error comes from.
"""

from __future__ import annotations

from gatekeeper.evaluate import policy_applies as applies
from gatekeeper.policy.globs import globs_overlap
from gatekeeper.policy.reader import load_policies, load_policy_file, owns, parse_policy, team_for
from gatekeeper.policy.schema import policy_schema

__all__ = [
    "applies",
    "globs_overlap",
    "load_policies",
    "load_policy_file",
    "owns",
    "parse_policy",
    "policy_schema",
    "team_for",
]
