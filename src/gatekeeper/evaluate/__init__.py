"""The decision engine: compose + policies + results + waivers + now -> Decision.

A package: ``engine``, the rules (latest results, waivers, one requirement's answer);
``reruns``, the results being run again; ``tally``, the verdict and summary; ``plan``, the
numbered requirements and :func:`evaluate`.

Pure: no I/O, no clock (``now`` is an argument), no global state. The rules are
DESIGN.md's "Decision semantics"; each is named in a comment where it is applied.
"""

from gatekeeper.evaluate.engine import (
    Requirement,
    active_waivers,
    gated_testcases,
    latest_results,
    policy_applies,
    requirements,
)
from gatekeeper.evaluate.plan import (
    Plan,
    answer_gates,
    assemble,
    evaluate,
    latest_by_testcase,
    payload_order,
    plan,
)
from gatekeeper.evaluate.reruns import Rerun, rerun_of, retries_due
from gatekeeper.evaluate.tally import (
    DecisionState,
    Tally,
    summarize,
    summary_of,
    tally,
    verdict_of,
    verdict_of_tally,
)

__all__ = [
    "DecisionState",
    "Plan",
    "Requirement",
    "Rerun",
    "Tally",
    "active_waivers",
    "answer_gates",
    "assemble",
    "evaluate",
    "gated_testcases",
    "latest_by_testcase",
    "latest_results",
    "payload_order",
    "plan",
    "policy_applies",
    "requirements",
    "rerun_of",
    "retries_due",
    "summarize",
    "summary_of",
    "tally",
    "verdict_of",
    "verdict_of_tally",
]
