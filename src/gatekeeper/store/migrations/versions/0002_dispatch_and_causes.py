"""The outbox dispatcher's retry time, and what caused each decision version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

- ``outbox.not_before``: an entry is not sent before this time. A failed send backs off
  through it; on SQLite a dispatcher's claim is a lease written here (PostgreSQL claims
  with a row lock held while sending instead).
- ``decisions.cause``: which results, waiver or clock tick made this version.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
    op.add_column("decisions", sa.Column("cause", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("cause")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("not_before")
