"""One ResultsDB v2.0 result (its JSON) -> one :class:`gatekeeper.model.Result`. No I/O.

ResultsDB serialises a result as::

    {"id": 123, "testcase": {"name": "rdo.tempest.smoke", "ref_url": ..., "href": ...},
     "outcome": "PASSED", "note": "", "ref_url": "https://ci.example.org/run/1",
     "submit_time": "2026-11-24T10:00:00.123456", "groups": ["<uuid>"],
     "data": {"productmd.compose.id": ["CentOS-Stream-9-20261124.0"], "arch": ["x86_64"]},
     "href": "https://resultsdb.example.org/api/v2.0/results/123"}

Extra data is always ``key -> list of strings`` (one value per stored row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gatekeeper.errors import GatekeeperError
from gatekeeper.model import Outcome, Result
from gatekeeper.timeutil import parse_time

SOURCE = "resultsdb"
#: How the two keying styles name the compose: resultsdb_conventions / CI messages put the
#: compose id in ``productmd.compose.id``; ResultsDB v3 ``type=productmd-compose`` results
#: carry it in ``item`` (next to ``<id>/<variant>/<arch>``).
COMPOSE_KEY = "productmd.compose.id"
COMPOSE_TYPE = "productmd-compose"
#: Result fields read from extra data, in order of preference.
SCENARIO_KEYS = ("scenario",)
ARCH_KEYS = ("arch", "system_architecture")
VARIANT_KEYS = ("system_variant", "variant")
#: Where an outcome gatekeeper does not know (a server's ADDITIONAL_RESULT_OUTCOMES, e.g.
#: CentOS's CRASHED) is kept; the result itself counts as ERROR.
ORIGINAL_OUTCOME_KEY = "resultsdb_outcome"


class ResultsDBError(GatekeeperError):
    """ResultsDB could not be reached, refused the query, or answered something unusable."""


def values(data: Mapping[str, Any], key: str) -> list[str]:
    """The values of one extra-data key as a list of strings (ResultsDB always sends lists;
    a single value is accepted too)."""
    raw = data.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [str(item) for item in items if item is not None and str(item) != ""]


def belongs_to(raw: Mapping[str, Any], compose_id: str) -> bool:
    """Whether a result's extra data names ``compose_id`` in either keying style."""
    data = raw.get("data")
    if not isinstance(data, Mapping):
        return False
    if compose_id in values(data, COMPOSE_KEY):
        return True
    return COMPOSE_TYPE in values(data, "type") and compose_id in values(data, "item")


def map_outcome(value: object) -> tuple[Outcome, str | None]:
    """ResultsDB's outcome -> gatekeeper's, and the original text when it was not one of
    gatekeeper's (CRASHED, ABORTED, ...: the run ended without a verdict, so ERROR)."""
    try:
        return Outcome.parse(value), None
    except ValueError:
        return Outcome.ERROR, str(value).strip().upper()


def to_result(raw: Mapping[str, Any], compose_id: str, *, where: str = "ResultsDB") -> Result:
    """Map one result. Raises :class:`ResultsDBError` naming the result when it is malformed."""
    rid = raw.get("id")
    label = f"{where}: result {rid!r}"
    if isinstance(rid, bool) or not isinstance(rid, int | str) or str(rid).strip() == "":
        raise ResultsDBError(f"{where}: a result has no id (got {rid!r})")
    testcase = raw.get("testcase")
    name = testcase.get("name") if isinstance(testcase, Mapping) else testcase
    if not isinstance(name, str) or not name.strip():
        raise ResultsDBError(f"{label} has no testcase name (got {testcase!r})")
    outcome_text = raw.get("outcome")
    if not isinstance(outcome_text, str) or not outcome_text.strip():
        raise ResultsDBError(f"{label} has no outcome (got {outcome_text!r})")
    outcome, original = map_outcome(outcome_text)
    try:
        submit_time = parse_time(raw.get("submit_time"))
    except ValueError as exc:
        raise ResultsDBError(f"{label}: submit_time: {exc}") from None
    data = raw.get("data") or {}
    if not isinstance(data, Mapping):
        raise ResultsDBError(f"{label}: data must be an object of lists, got {data!r}")
    kept = {str(k): v for k, v in data.items()}
    fields = {}
    for field, keys in (
        ("scenario", SCENARIO_KEYS),
        ("arch", ARCH_KEYS),
        ("variant", VARIANT_KEYS),
    ):
        fields[field] = _first(kept, keys)
    if original is not None:
        kept[ORIGINAL_OUTCOME_KEY] = [original]
    ref_url = _text(raw.get("ref_url")) or _text(raw.get("href"))
    return Result(
        compose=compose_id,
        testcase=name.strip(),
        outcome=outcome,
        submit_time=submit_time,
        id=str(rid).strip(),
        scenario=fields["scenario"],
        arch=fields["arch"],
        variant=fields["variant"],
        ref_url=ref_url,
        note=_text(raw.get("note")),
        data=kept,
        source=SOURCE,
    )


def _first(data: dict[str, Any], keys: Sequence[str]) -> str | None:
    """The first value of the first key that has one. A key with exactly one value becomes
    the field and leaves ``data``; one with several keeps all of them in ``data``."""
    for key in keys:
        found = values(data, key)
        if found:
            if len(set(found)) == 1:
                data.pop(key)
            return found[0]
    return None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
