"""Hook calls owed by a transaction: queued in the outbox inside it, fired after it commits.

A plugin's failure never undoes what was committed: the outbox row keeps the error
(``last_error``) so the call can be retried and the failure seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from gatekeeper.model import Compose, Decision
from gatekeeper.store import Store, Tx


def _payload(compose: Compose, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"compose": compose.id}
    for key in ("new", "decision"):
        if isinstance(kwargs.get(key), Decision):
            payload["decision"] = kwargs[key].to_json()
    mr = kwargs.get("merge_request")
    if isinstance(mr, Mapping):
        payload["merge_request"] = {k: mr.get(k) for k in ("number", "branch", "state", "title")}
    if "version" in kwargs:
        payload["version"] = kwargs["version"]
    return payload


@dataclass
class Events:
    calls: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, tx: Tx, hook: str, compose: Compose, **kwargs: Any) -> None:
        """Queue ``hook(app=..., compose=compose, **kwargs)`` in the same transaction."""
        outbox_id = tx.enqueue(hook, _payload(compose, kwargs), compose_id=compose.id)
        self.calls.append((outbox_id, hook, {"compose": compose, **kwargs}))

    def fire(self, app: Any, pm: pluggy.PluginManager, store: Store) -> None:
        """Call the queued hooks (after the commit), recording each outcome in the outbox."""
        for outbox_id, hook, kwargs in self.calls:
            try:
                getattr(pm.hook, hook)(app=app, **kwargs)
            except Exception as exc:  # a plugin's failure must not undo a committed change
                with store.transaction() as tx:
                    tx.mark_failed(outbox_id, f"{type(exc).__name__}: {exc}")
                continue
            with store.transaction() as tx:
                tx.mark_delivered(outbox_id)
        self.calls.clear()
