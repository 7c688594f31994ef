"""The ResultsDB v2.0 door: a posted ResultsDB result becomes a gatekeeper result, and
ResultsDB's query parameters become the store's filters.

A posted result names its compose by ``data["productmd.compose.id"]`` (the v2 convention
of ``resultsdb_conventions``) or by ``data["type"]`` ``productmd-compose`` (or ``compose``)
and ``data["item"]`` (the v3 one); its scenario by ``scenario``, its arch by
``system_architecture`` (else ``arch``), its variant by ``system_variant`` (else
``variant``). Every data value is kept as a list of strings, as ResultsDB keeps them; the
groups and the testcase's ``ref_url`` are kept in data under keys holding a colon
(:data:`GROUPS_KEY`, :data:`GROUP_INFO_KEY`, :data:`TESTCASE_URL_KEY`), which ResultsDB
refuses in posted keys. ResultsDB's groups are no records of their own here: ``GET
/groups`` lists those the stored results name (the last description given wins).
The result goes in through :meth:`Gatekeeper.ingest`: the report door (ownership, limits)
and the decision it moves are every other report's.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.bounds import check_text
from gatekeeper.errors import InputError, NotFound
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS
from gatekeeper.model import Outcome, Result
from gatekeeper.service.accounts import Actor
from gatekeeper.service.context import Context
from gatekeeper.store.resultsdb import ResultFilter
from gatekeeper.timeutil import parse_time

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper

SOURCE = "resultsdb"
GROUPS_KEY = "resultsdb:groups"
GROUP_INFO_KEY = "resultsdb:group_info"  # each group as JSON: uuid, description, ref_url
TESTCASE_URL_KEY = "resultsdb:testcase_ref_url"
COMPOSE_KEYS = ("productmd.compose.id", "item")
COMPOSE_TYPES = frozenset({"productmd-compose", "compose"})
#: data keys read as a result's fields, in order of preference
FIELD_KEYS = {
    "scenario": ("scenario",),
    "arch": ("system_architecture", "arch"),
    "variant": ("system_variant", "variant"),
}
#: data keys a query answers from the results' columns (so results of every door match)
COLUMN_OF_KEY = {
    "productmd.compose.id": "compose_id",
    "item": "compose_id",
    "scenario": "scenario",
    "system_architecture": "arch",
    "arch": "arch",
    "system_variant": "variant",
    "variant": "variant",
}
#: query parameters that are not data filters
RESERVED = frozenset(
    {"page", "limit", "since", "outcome", "groups", "_sort", "testcases", "testcases:like",
     "callback", "_", "_distinct_on"}
)  # fmt: skip


def strings(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [str(item) for item in items if item is not None]


def _posted(key: str, value: Any) -> list[str]:
    """A posted data value as the strings ResultsDB keeps; a number no JSON carries (1e400
    is read as infinity) is refused, not kept as ``inf``."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, float) and not math.isfinite(item):
            raise InputError(f"holds a number JSON cannot carry ({item})", key=f"data.{key}")
    return strings(items)


def _first(data: Mapping[str, list[str]], keys: Sequence[str]) -> str | None:
    for key in keys:
        if data.get(key):
            return data[key][0]
    return None


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def compose_of(data: Mapping[str, list[str]]) -> str | None:
    """The compose a posted result's data names (either convention), or None."""
    if data.get("productmd.compose.id"):
        return data["productmd.compose.id"][0]
    if COMPOSE_TYPES & set(data.get("type", ())) and data.get("item"):
        return data["item"][0]
    return None


def to_result(body: Mapping[str, Any], now: datetime) -> Result:
    """A posted ResultsDB result as gatekeeper's; InputError saying what is wrong."""
    try:
        outcome = Outcome.parse(body.get("outcome"))
    except ValueError:
        valid = ", ".join(o.value for o in Outcome)
        raise InputError(f"outcome must be one of {valid}", key="outcome") from None
    testcase = body.get("testcase")
    name = testcase.get("name") if isinstance(testcase, Mapping) else testcase
    if not isinstance(name, str) or not name.strip():
        raise InputError("testcase name not set", key="testcase")
    raw = body.get("data") or {}
    if not isinstance(raw, Mapping):
        raise InputError("data must be an object", key="data")
    colons = sorted(str(key) for key in raw if ":" in str(key))
    if colons:
        raise InputError(f"Colon not allowed in key name: {colons}", key="data")
    data = {str(key): _posted(str(key), value) for key, value in raw.items()}
    compose = compose_of(data)
    if compose is None:
        raise InputError(
            "the result names no compose: give data productmd.compose.id, or type "
            "productmd-compose and item",
            key="data",
        )
    which = "productmd.compose.id" if data.get("productmd.compose.id") else "item"
    check_text(compose, MAX_NAME_CHARS, f"data.{which}")  # looked up before the door's checks
    given = [g if isinstance(g, Mapping) else {"uuid": g} for g in body.get("groups") or ()]
    if any(not isinstance(g.get("uuid"), str) or not g["uuid"] for g in given):
        raise InputError("groups must be uuid strings or objects with a uuid", key="groups")
    for index, group in enumerate(given):  # kept in data: each a name, a text and a URL
        for part, limit in (("uuid", MAX_NAME_CHARS), ("description", MAX_TEXT_CHARS),
                            ("ref_url", MAX_URL_CHARS)):  # fmt: skip
            value = group.get(part)
            key = f"groups[{index}]" + ("" if part == "uuid" else f".{part}")
            check_text(value if isinstance(value, str) else None, limit, key)
    if given:
        data[GROUPS_KEY] = [g["uuid"] for g in given]
        data[GROUP_INFO_KEY] = [
            json.dumps({k: g.get(k) for k in ("uuid", "description", "ref_url")}, sort_keys=True)
            for g in given
        ]
    testcase_url = testcase.get("ref_url") if isinstance(testcase, Mapping) else None
    if isinstance(testcase_url, str) and testcase_url:
        check_text(testcase_url, MAX_URL_CHARS, "testcase.ref_url")
        data[TESTCASE_URL_KEY] = [testcase_url]
    submit = body.get("submit_time")
    try:
        submit_time = now if submit is None else parse_time(submit)
    except ValueError as exc:
        raise InputError(str(exc), key="submit_time") from None
    text = {key: body.get(key) for key in ("note", "ref_url")}
    fields = {name: _first(data, keys) for name, keys in FIELD_KEYS.items()}
    return Result(
        compose=compose,
        testcase=name.strip(),
        outcome=outcome,
        submit_time=submit_time,
        note=text["note"] if isinstance(text["note"], str) and text["note"] else None,
        ref_url=text["ref_url"] if isinstance(text["ref_url"], str) and text["ref_url"] else None,
        data=data,
        source=SOURCE,
        **fields,
    )


def filter_of(params: Iterable[tuple[str, str]], *, outcomes: bool = True) -> ResultFilter:
    """ResultsDB's query parameters (``since``, ``outcome``, ``testcases[:like]``,
    ``groups``, ``_distinct_on``, any other key a data key, ``key:like`` a glob) as the
    store's filter. Values are comma-separated; a parameter given twice adds values."""
    given: dict[str, list[str]] = {}
    for key, value in params:
        given.setdefault(key, []).append(value)
    columns: dict[str, list[str]] = {}
    likes: dict[str, list[str]] = {}
    data: dict[str, list[str]] = {}
    data_likes: dict[str, list[str]] = {}
    nothing = False
    if outcomes and given.get("outcome"):
        # ASCII case only: str.upper would read a long s as S
        wanted = [o.upper() if o.isascii() else o for o in _split(given["outcome"])]
        unknown = [o for o in wanted if o not in Outcome.__members__]
        if unknown:
            valid = ", ".join(o.value for o in Outcome)
            raise InputError(f"outcome {unknown[0]!r} not one of {valid}", key="outcome")
        columns["outcome"] = wanted
    if names := _split(given.get("testcases", ())):
        columns["testcase"] = names
    if globs := _split(given.get("testcases:like", ())):
        likes["testcase"] = globs
    if groups := _split(given.get("groups", ())):
        data[GROUPS_KEY] = groups
    for param, values in given.items():
        if param in RESERVED:
            continue
        key, _, modifier = param.partition(":")
        wanted = _split(values)
        if modifier not in ("", "like"):
            raise InputError(f"unknown modifier {modifier!r}: only :like", key=param)
        if key == "type":  # gatekeeper's results are all of composes
            nothing |= modifier == "" and not COMPOSE_TYPES & set(wanted)
        elif key in COLUMN_OF_KEY:
            (likes if modifier else columns).setdefault(COLUMN_OF_KEY[key], []).extend(wanted)
        else:
            (data_likes if modifier else data).setdefault(key, []).extend(wanted)
    since, until = _since(given.get("since", ()))
    distinct = [COLUMN_OF_KEY.get(k, k) for k in _split(given.get("_distinct_on", ()))]
    return ResultFilter(columns=columns, column_likes=likes, data=data, data_likes=data_likes,
                        since=since, until=until, nothing=nothing,
                        distinct_on=tuple(dict.fromkeys(distinct)))  # fmt: skip


def _since(values: Sequence[str]) -> tuple[datetime | None, datetime | None]:
    if not values:
        return None, None
    parts = values[-1].split(",")
    try:
        start = parse_time(parts[0])
        end = parse_time(parts[1]) if len(parts) > 1 and parts[1].strip() else None
    except ValueError:
        raise InputError("'since' parameter not in ISO8601 format", key="since") from None
    return start, end


class ResultsdbCompat:
    """create (a posted result, through the report door), get, results, latest, testcases."""

    def __init__(self, ctx: Context, app: Gatekeeper) -> None:
        self.ctx = ctx
        self._app = app

    def create(self, body: Mapping[str, Any], actor: Actor) -> Result:
        result = to_result(body, self.ctx.clock())
        try:
            self._app.compose(result.compose)
        except NotFound:
            raise InputError(f"compose {result.compose} is not known to gatekeeper: announce "
                             "or import it first", key="data") from None  # fmt: skip
        report = self._app.ingest([result], actor)
        if report.stored:
            return report.stored[0]
        with self.ctx.store.transaction(readonly=True) as tx:  # the same result posted again
            found = tx.resultsdb_stored(result, self.ctx.teams()(result.testcase))
        if found is None:  # pragma: no cover - a duplicate is stored by definition
            raise NotFound("the result was a repetition of one no longer stored")
        return found

    def get(self, db_id: int) -> Result:
        with self.ctx.store.transaction(readonly=True) as tx:
            found = tx.resultsdb_result(db_id)
        if found is None:
            raise NotFound("Result not found")
        return found

    def results(
        self, params: Iterable[tuple[str, str]], *, limit: int, offset: int, latest: bool = False
    ) -> list[Result]:
        where = filter_of(params, outcomes=not latest)
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.resultsdb_results(where, limit=limit, offset=offset, latest=latest)

    def groups(
        self, uuids: Sequence[str], descriptions: Sequence[str], likes: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The groups stored results name, newest uuid first (as upstream: by id, newest
        first, here by the newest result naming it), kept by ``uuids``, else by exact
        ``descriptions`` or ``likes`` globs (all comma-separated)."""
        with self.ctx.store.transaction(readonly=True) as tx:
            found = tx.resultsdb_group_infos(GROUP_INFO_KEY)
        groups: dict[str, dict[str, Any]] = {}
        for text in found:  # newest result first: the first description seen wins
            info = json.loads(text)
            known = groups.setdefault(info["uuid"], info)
            for key in ("description", "ref_url"):
                known[key] = known.get(key) or info.get(key)
        wanted, exact, globs = set(_split(uuids)), set(_split(descriptions)), _split(likes)
        return [
            g for g in groups.values()
            if (not wanted or g["uuid"] in wanted)
            and (not exact or g.get("description") in exact)
            and (not globs or any(fnmatch.fnmatchcase(g.get("description") or "", p)
                                  for p in globs))
        ]  # fmt: skip

    def testcases(
        self, names: Sequence[str], likes: Sequence[str], *, limit: int, offset: int
    ) -> list[str]:
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.resultsdb_testcases(_split(names), _split(likes), limit=limit,
                                          offset=offset)  # fmt: skip
