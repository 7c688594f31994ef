"""The pull schedule: each round pulls every compose still waiting to be published."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gatekeeper.errors import GatekeeperError

#: Compose states whose results still matter (published and superseded ones are done).
ACTIVE_STATES = ("announced", "proposed", "promoted")
#: How many of the newest composes a round looks at.
RECENT = 1000


@dataclass(frozen=True)
class Pulled:
    """One compose's pull in a round: its ingest report (``None``: nothing a team owns),
    or the error that stopped it."""

    compose: str
    report: Any = None
    error: GatekeeperError | None = None


def active_composes(app: Any, states: Sequence[str] = ACTIVE_STATES) -> list[str]:
    """Ids of the composes in ``states``, oldest first."""
    rows = app.compose_rows(limit=RECENT)
    return [row["id"] for row in reversed(rows) if row["state"] in states]


def pull_round(
    app: Any,
    composes: Iterable[str] | None = None,
    *,
    on_pulled: Callable[[Pulled], None] | None = None,
) -> list[Pulled]:
    """Pull each active compose (or ``composes``). One compose's failure (ResultsDB down, a
    malformed answer) is recorded and the round goes on; nothing partial is stored."""
    done = []
    for compose_id in active_composes(app) if composes is None else composes:
        try:
            item = Pulled(compose_id, report=app.pull_results(compose_id))
        except GatekeeperError as exc:
            item = Pulled(compose_id, error=exc)
        done.append(item)
        if on_pulled is not None:
            on_pulled(item)
    return done
