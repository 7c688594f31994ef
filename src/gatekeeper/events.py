"""Hook calls owed by a transaction: written to the outbox inside it, sent after it commits.

A transaction that changes something a plugin must hear about (a decision, a promotion,
a merge request) queues the hook call with :meth:`Events.add`, in the same transaction,
so the call is owed if and only if the change was committed. After the commit
:meth:`Events.fire` hands the entries to the dispatcher (``gatekeeper.dispatch``), which
sends each exactly once across processes; what it cannot send now (a plugin failed, the
process died) stays in the outbox and the running dispatchers send it later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatekeeper.model import Compose, Decision
from gatekeeper.store import Tx
from gatekeeper.timeutil import format_time


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def payload_for(compose: Compose, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The outbox payload of a hook call: everything needed to make the call again later.

    ``new``/``decision`` (a Decision) are kept as Decision JSON under ``decision``; ``old``
    (Decision JSON), ``merge_request`` (a row) and ``version`` as they are.
    """
    payload: dict[str, Any] = {"compose": compose.id}
    for key, value in kwargs.items():
        if isinstance(value, Decision):
            payload["decision"] = value.to_json()
        elif key in ("old", "merge_request", "version"):
            payload[key] = value
        else:
            raise TypeError(f"hook argument {key!r} has no outbox form")
    decoded: dict[str, Any] = json.loads(json.dumps(payload, default=_jsonable))
    return decoded


@dataclass
class Events:
    ids: list[int] = field(default_factory=list)

    def add(self, tx: Tx, hook: str, compose: Compose, **kwargs: Any) -> None:
        """Queue ``hook(app=..., compose=compose, **kwargs)`` in the same transaction."""
        self.ids.append(tx.enqueue(hook, payload_for(compose, kwargs), compose_id=compose.id))

    def fire(self, app: Any) -> None:
        """Send the queued calls now (after the commit) unless a dispatcher already is."""
        if self.ids:
            from gatekeeper.dispatch import dispatcher_for

            dispatcher_for(app).deliver(self.ids)
        self.ids.clear()
