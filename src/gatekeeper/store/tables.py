"""The database schema: SQLAlchemy Core tables in one :data:`metadata`.

The Alembic migrations in ``migrations/versions`` create exactly these tables;
``tests/store/test_migrations.py`` compares the two.

Every datetime column is a :class:`UTCDateTime`: timezone-aware UTC in and out,
on SQLite too (which has no time zones of its own).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

COMPOSE_STATES = ("announced", "proposed", "promoted", "published", "superseded")
MERGE_REQUEST_STATES = ("open", "merged", "closed")
IDENTITY_KINDS = ("user", "bot", "service")

# Deterministic constraint names, so migrations can refer to them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC. Naive ones are refused: gatekeeper never has one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: gatekeeper stores aware UTC times only")
    return value.astimezone(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (see :func:`to_utc`)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: stored as UTC without a zone
            return value.replace(tzinfo=UTC)
        if value.tzinfo is UTC:
            return value
        return value.astimezone(UTC)


def _check_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _compose_fk(*, index: bool = False, unique: bool = False) -> sa.Column[str]:
    return sa.Column(
        "compose_id",
        sa.String(),
        sa.ForeignKey("composes.id"),
        nullable=False,
        index=index,
        unique=unique,
    )


composes = sa.Table(
    "composes",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("product", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("date", sa.String(8), nullable=False),
    sa.Column("respin", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(), nullable=True),
    sa.Column("location", sa.Text(), nullable=True),
    sa.Column("source", sa.Text(), nullable=True),  # where it was imported from (0004)
    sa.Column("variants", sa.JSON(), nullable=True),
    sa.Column("announced_at", UTCDateTime(), nullable=False, index=True),
    sa.Column(
        "state",
        sa.String(),
        nullable=False,
        default="announced",
        server_default=sa.text("'announced'"),
    ),
    sa.Column("promoted", sa.Boolean(), nullable=False, default=False, server_default=sa.false()),
    sa.Column("published_at", UTCDateTime(), nullable=True),
    *_timestamps(),
    sa.Column(
        "decision_version", sa.Integer(), nullable=False, default=0, server_default=sa.text("0")
    ),
    # what the current decision's answers (decision_answers) add up to, and when they are
    # true: the digest of the requirements, tally, verdict, times (0007)
    sa.Column("decision_state", sa.JSON(), nullable=True),
    sa.CheckConstraint(_check_in("state", COMPOSE_STATES), name="state"),
)

builds = sa.Table(
    "builds",
    metadata,
    sa.Column("compose_id", sa.String(), sa.ForeignKey("composes.id"), primary_key=True),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("epoch", sa.Integer(), primary_key=True),
    sa.Column("version", sa.String(), primary_key=True),
    sa.Column("release", sa.String(), primary_key=True),
    sa.Column("variants", sa.JSON(), nullable=False),
    sa.Column("arches", sa.JSON(), nullable=False),
    sa.Column("rpms", sa.JSON(), nullable=False),
)

merge_requests = sa.Table(
    "merge_requests",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _compose_fk(unique=True),
    sa.Column("forge", sa.String(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=True),
    sa.Column("branch", sa.String(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("head_commit", sa.String(), nullable=True),
    sa.Column("base_compose", sa.String(), nullable=True),
    sa.Column("tree_id", sa.String(), nullable=True),
    *_timestamps(),
    sa.CheckConstraint(_check_in("state", MERGE_REQUEST_STATES), name="state"),
)

results = sa.Table(
    "results",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    _compose_fk(index=True),
    sa.Column("testcase", sa.String(), nullable=False),
    sa.Column("outcome", sa.String(), nullable=False),
    sa.Column("scenario", sa.String(), nullable=True),
    sa.Column("arch", sa.String(), nullable=True),
    sa.Column("variant", sa.String(), nullable=True),
    sa.Column("ref_url", sa.Text(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("submit_time", UTCDateTime(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("reporter", sa.String(), nullable=True),
    sa.Column("source", sa.String(), nullable=True),
    sa.Column("external_id", sa.String(), nullable=True),
    sa.Column("dedupe_key", sa.String(), nullable=False, unique=True),
    sa.Column("scope", sa.String(), nullable=True),  # the owning team, in the key (0006)
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

waivers = sa.Table(
    "waivers",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _compose_fk(index=True),
    sa.Column("testcase", sa.String(), nullable=False),
    sa.Column("scenario", sa.String(), nullable=True),
    sa.Column("arch", sa.String(), nullable=True),
    sa.Column("waived", sa.Boolean(), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("time", UTCDateTime(), nullable=False),
    sa.Column("expires", UTCDateTime(), nullable=True),  # 0008
    sa.Column("bug", sa.Text(), nullable=True),  # 0008
)

known_issues = sa.Table(
    "known_issues",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("product", sa.String(), nullable=False),  # an fnmatch glob
    sa.Column("testcase", sa.String(), nullable=False, index=True),
    sa.Column("scenario", sa.String(), nullable=True),
    sa.Column("arch", sa.String(), nullable=True),
    sa.Column("bug", sa.Text(), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Column("closed_by", sa.String(), nullable=True),
)
"""Known failures waived in every compose of matching products until they expire (0008)."""

known_issue_uses = sa.Table(
    "known_issue_uses",
    metadata,
    sa.Column("known_issue_id", sa.Integer(), sa.ForeignKey("known_issues.id"), primary_key=True),
    sa.Column("compose_id", sa.String(), sa.ForeignKey("composes.id"), primary_key=True),
    sa.Column("first_used_at", UTCDateTime(), nullable=False),
)
"""Which composes a known issue waived an answer of (0008)."""

rerun_requests = sa.Table(
    "rerun_requests",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _compose_fk(index=True),
    sa.Column("testcase", sa.String(), nullable=False),
    sa.Column("scenario", sa.String(), nullable=True),
    sa.Column("arch", sa.String(), nullable=True),
    sa.Column("variant", sa.String(), nullable=True),
    sa.Column("time", UTCDateTime(), nullable=False),
    sa.Column("after", UTCDateTime(), nullable=False),
    sa.Column("username", sa.String(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("automatic", sa.Boolean(), nullable=False),
    sa.Column("retry", sa.Integer(), nullable=True),
    sa.Column("retries", sa.Integer(), nullable=True),
)
"""Requests to run a compose's testcase again, asked for or made by ``retries:`` (0008)."""

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    _compose_fk(),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("verdict", sa.String(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    # a snapshot: the whole Decision JSON (and in ``delta`` the ordinals of its answers);
    # else NULL, and ``delta`` holds the answers that changed since the version before (0007)
    sa.Column("payload", sa.JSON(), nullable=True),
    sa.Column("delta", sa.JSON(), nullable=True),
    sa.Column("evaluated_at", UTCDateTime(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("cause", sa.JSON(), nullable=True),
    sa.UniqueConstraint("compose_id", "version"),
)

latest_results = sa.Table(
    "latest_results",
    metadata,
    sa.Column("compose_id", sa.String(), sa.ForeignKey("composes.id"), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),  # of (testcase, scenario, arch, variant)
    sa.Column("testcase", sa.String(), nullable=False),
    sa.Column("result_id", sa.Integer(), nullable=False),
    sa.Column("submit_time", UTCDateTime(), nullable=False),
    sa.Index("ix_latest_results_compose_id_testcase", "compose_id", "testcase"),
)
"""The latest result of each key of a compose (0007), kept by every insert of results."""

decision_answers = sa.Table(
    "decision_answers",
    metadata,
    sa.Column("compose_id", sa.String(), sa.ForeignKey("composes.id"), primary_key=True),
    sa.Column("ordinal", sa.Integer(), primary_key=True),
    sa.Column("testcase", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("team", sa.String(), nullable=False),
    sa.Column("required", sa.Boolean(), nullable=False),
    sa.Column("is_satisfied", sa.Boolean(), nullable=False),
    sa.Column("scenario", sa.String(), nullable=True),
    sa.Column("arch", sa.String(), nullable=True),
    sa.Column("variant", sa.String(), nullable=True),
    sa.Column("result_id", sa.String(), nullable=True),
    sa.Column("ref_url", sa.Text(), nullable=True),
    sa.Column("waiver_id", sa.String(), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=True),  # Answer.detail(): reason, bug, ... (0008)
    sa.Index("ix_decision_answers_compose_id_testcase", "compose_id", "testcase"),
)
"""The current decision's answers, one per requirement (its ordinal), of each compose (0007)."""

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False, unique=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("can_waive", sa.Boolean(), nullable=False),
    sa.Column("is_admin", sa.Boolean(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint(_check_in("kind", IDENTITY_KINDS), name="kind"),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "identity_id", sa.Integer(), sa.ForeignKey("identities.id"), nullable=False, index=True
    ),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("compose_id", sa.String(), nullable=True),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True, index=True),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0, server_default=sa.text("0")),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("not_before", UTCDateTime(), nullable=True),
    sa.Column("dead_at", UTCDateTime(), nullable=True),  # given up: a dead letter (0005)
)

seen_keys = sa.Table(
    "seen_keys",
    metadata,
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
"""Keys of things handled once (webhook deliveries): the first insert wins."""
