"""Outbox dead letters: entries that can never succeed stop being retried.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

- ``outbox.dead_at``: when the dispatcher gave the entry up (its handler raised an error
  that retrying cannot change, or it failed too many times); no dispatcher claims it again
  until ``gatekeeper outbox retry`` clears it. NULL for every entry still pending or
  delivered, so existing entries keep their state.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("dead_at")
