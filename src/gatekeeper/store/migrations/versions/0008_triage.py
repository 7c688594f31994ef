"""Waivers that expire, known issues across composes, rerun requests.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

- ``waivers.expires`` and ``waivers.bug``: a waiver stops counting at its expiry; it may
  name the bug tracking what it excuses.
- ``known_issues`` and ``known_issue_uses``: known failures waived in every compose of
  matching products until they expire or are closed, and the composes each one waived.
- ``rerun_requests``: requests to run a compose's testcase again.
- ``decision_answers.detail``: what else explains an answer (reason, bug, expiry, known
  issue, rerun request, retry).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("waivers", _time("expires", nullable=True))
    op.add_column("waivers", sa.Column("bug", sa.Text(), nullable=True))
    op.add_column("decision_answers", sa.Column("detail", sa.JSON(), nullable=True))
    op.create_table(
        "known_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("testcase", sa.String(), nullable=False),
        sa.Column("scenario", sa.String(), nullable=True),
        sa.Column("arch", sa.String(), nullable=True),
        sa.Column("bug", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        _time("created_at", nullable=False),
        _time("expires", nullable=True),
        _time("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_known_issues"),
    )
    op.create_index("ix_known_issues_testcase", "known_issues", ["testcase"])
    op.create_table(
        "known_issue_uses",
        sa.Column("known_issue_id", sa.Integer(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        _time("first_used_at", nullable=False),
        sa.ForeignKeyConstraint(["known_issue_id"], ["known_issues.id"],
                                name="fk_known_issue_uses_known_issue_id_known_issues"),
        sa.ForeignKeyConstraint(["compose_id"], ["composes.id"],
                                name="fk_known_issue_uses_compose_id_composes"),
        sa.PrimaryKeyConstraint("known_issue_id", "compose_id", name="pk_known_issue_uses"),
    )  # fmt: skip
    op.create_table(
        "rerun_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("testcase", sa.String(), nullable=False),
        sa.Column("scenario", sa.String(), nullable=True),
        sa.Column("arch", sa.String(), nullable=True),
        sa.Column("variant", sa.String(), nullable=True),
        _time("time", nullable=False),
        _time("after", nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("retry", sa.Integer(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["compose_id"], ["composes.id"],
                                name="fk_rerun_requests_compose_id_composes"),
        sa.PrimaryKeyConstraint("id", name="pk_rerun_requests"),
    )  # fmt: skip
    op.create_index("ix_rerun_requests_compose_id", "rerun_requests", ["compose_id"])


def downgrade() -> None:
    op.drop_index("ix_rerun_requests_compose_id", table_name="rerun_requests")
    op.drop_table("rerun_requests")
    op.drop_table("known_issue_uses")
    op.drop_index("ix_known_issues_testcase", table_name="known_issues")
    op.drop_table("known_issues")
    with op.batch_alter_table("decision_answers") as batch:
        batch.drop_column("detail")
    with op.batch_alter_table("waivers") as batch:
        batch.drop_column("bug")
        batch.drop_column("expires")
