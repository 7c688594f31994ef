"""Result ids unique per owning team: ``results.scope`` and scoped dedupe keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

- ``results.scope``: the team owning the result's testcase when it was stored; a result
  with its reporter's id is known by ``<source>:<scope>:<compose>:<id>``, so one team
  reusing another's id never shadows it.
- Results stored before have no scope. The owning team is in the policies, which a
  migration does not read: when results are stored, the mark ``pending:rescope-results``
  asks the service's start (``Gatekeeper.start``) to give each its team once (and those
  with an id their scoped key; a result keyed by its content keeps its key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

results = sa.table("results", sa.column("scope", sa.String()))
seen_keys = sa.table(
    "seen_keys",
    sa.column("key", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column("results", sa.Column("scope", sa.String(), nullable=True))
    stored = op.get_bind().execute(sa.select(results.c.scope).limit(1)).first()
    if stored is not None:
        op.execute(
            seen_keys.insert().values(key="pending:rescope-results", created_at=datetime.now(UTC))
        )


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("scope")
