"""The outbox's plugin hook calls: an entry of a hook's kind, made into that call again.

Registered as the dispatcher's default handler: an entry whose kind names a hook
(``gatekeeper_decision_changed``, ``gatekeeper_forge_event``...) is decoded by
:func:`gatekeeper.outbox.decode_arguments` against the hook's parameters, and the hook is
called with the running application as ``app``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gatekeeper.model import Compose, Decision
from gatekeeper.outbox import decode_arguments
from gatekeeper.outbox.dispatcher import Undeliverable
from gatekeeper.service.context import Context
from gatekeeper.store.decision_history import Replayer

_REPLAYERS = 16

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper


class HookCalls:
    """Sends outbox entries that name a plugin hook."""

    def __init__(self, ctx: Context, app: Gatekeeper) -> None:
        self.ctx = ctx
        self.app = app
        self._replayers: dict[str, Replayer] = {}  # by compose: the last ones used

    def register(self) -> None:
        self.ctx.dispatcher.register_default(self.send)

    def send(self, rows: Sequence[Mapping[str, Any]]) -> None:
        row = rows[0]
        hook = getattr(self.ctx.pm.hook, row["kind"], None)
        if hook is None:
            raise Undeliverable(f"no such hook: {row['kind']}")
        try:
            arguments = decode_arguments(
                hook.spec.argnames if hook.spec else (),
                row["payload"],
                app=self.app,
                compose=self._compose,
                stored=self._stored,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Undeliverable(
                f"malformed outbox payload for {row['kind']}: {type(exc).__name__}: {exc}"
            ) from None
        hook(**arguments)

    def _stored(self, compose_id: str, version: int) -> Decision:
        """A stored version, replayed on from where the last one of the compose stood (a
        burst of versions is sent in order: each costs the rows after the one before)."""
        replayer = self._replayers.pop(compose_id, None) or Replayer(compose_id)
        if replayer.version >= version:
            replayer = Replayer(compose_id)
        with self.ctx.store.transaction(readonly=True) as tx:
            found = tx.replayed(compose_id, [version], replayer=replayer)
        self._replayers[compose_id] = replayer
        while len(self._replayers) > _REPLAYERS:
            self._replayers.pop(next(iter(self._replayers)))
        if not found:
            raise Undeliverable(f"compose {compose_id} has no decision version {version}")
        return Decision.from_json(found[0][1])

    def _compose(self, compose_id: str) -> Compose:
        with self.ctx.store.transaction(readonly=True) as tx:
            compose = tx.get_compose(compose_id)
        if compose is None:
            raise Undeliverable(f"compose {compose_id} is not known")
        return compose
