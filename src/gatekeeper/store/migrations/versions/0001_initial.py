"""Initial schema: composes, builds, merge requests, results, waivers, decisions,
identities, tokens, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

The tables of gatekeeper.store.tables, spelled out (a migration must not change when
the models do). tests/store/test_migrations.py checks they are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "composes",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("date", sa.String(length=8), nullable=False),
        sa.Column("respin", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), server_default=sa.text("'announced'"), nullable=False),
        sa.Column("promoted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "state IN ('announced', 'proposed', 'promoted', 'published', 'superseded')",
            name=op.f("ck_composes_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_composes")),
    )
    op.create_index(op.f("ix_composes_announced_at"), "composes", ["announced_at"], unique=False)
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("can_waive", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('user', 'bot', 'service')", name=op.f("ck_identities_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("name", name=op.f("uq_identities_name")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_delivered_at"), "outbox", ["delivered_at"], unique=False)
    op.create_table(
        "builds",
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("release", sa.String(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("arches", sa.JSON(), nullable=False),
        sa.Column("rpms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name=op.f("fk_builds_compose_id_composes")
        ),
        sa.PrimaryKeyConstraint(
            "compose_id", "name", "epoch", "version", "release", name=op.f("pk_builds")
        ),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name=op.f("fk_decisions_compose_id_composes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("compose_id", "version", name=op.f("uq_decisions_compose_id_version")),
    )
    op.create_table(
        "merge_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("forge", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("branch", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("head_commit", sa.String(), nullable=True),
        sa.Column("base_compose", sa.String(), nullable=True),
        sa.Column("tree_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'merged', 'closed')", name=op.f("ck_merge_requests_state")
        ),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name=op.f("fk_merge_requests_compose_id_composes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_requests")),
        sa.UniqueConstraint("compose_id", name=op.f("uq_merge_requests_compose_id")),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("testcase", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("scenario", sa.String(), nullable=True),
        sa.Column("arch", sa.String(), nullable=True),
        sa.Column("variant", sa.String(), nullable=True),
        sa.Column("ref_url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("submit_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name=op.f("fk_results_compose_id_composes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_results_dedupe_key")),
    )
    op.create_index(op.f("ix_results_compose_id"), "results", ["compose_id"], unique=False)
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["identity_id"], ["identities.id"], name=op.f("fk_tokens_identity_id_identities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tokens_identity_id"), "tokens", ["identity_id"], unique=False)
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("testcase", sa.String(), nullable=False),
        sa.Column("scenario", sa.String(), nullable=True),
        sa.Column("arch", sa.String(), nullable=True),
        sa.Column("waived", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name=op.f("fk_waivers_compose_id_composes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waivers")),
    )
    op.create_index(op.f("ix_waivers_compose_id"), "waivers", ["compose_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_waivers_compose_id"), table_name="waivers")
    op.drop_table("waivers")
    op.drop_index(op.f("ix_tokens_identity_id"), table_name="tokens")
    op.drop_table("tokens")
    op.drop_index(op.f("ix_results_compose_id"), table_name="results")
    op.drop_table("results")
    op.drop_table("merge_requests")
    op.drop_table("decisions")
    op.drop_table("builds")
    op.drop_index(op.f("ix_outbox_delivered_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("identities")
    op.drop_index(op.f("ix_composes_announced_at"), table_name="composes")
    op.drop_table("composes")
