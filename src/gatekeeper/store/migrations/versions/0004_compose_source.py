"""Where a compose was read from, for what reads it again (lockfiles).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

- ``composes.source``: the location a compose was imported from, as given (a URL) or made
  absolute (a local path). ``composes.location`` stays what the Compose Repo shows: set
  only for URL imports, so a local path never changes the rendered tree.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("composes", sa.Column("source", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("composes") as batch:
        batch.drop_column("source")
