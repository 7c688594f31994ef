"""Decisions that keep up: the latest result per key, the current answers, history as changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- ``latest_results``: the latest result (submit time, then id) of each key of a compose,
  kept by every insert of results; filled here from the results stored.
- ``decision_answers`` and ``composes.decision_state``: the current decision's answers, one
  row per requirement, and what they add up to. Left empty here: a compose without a state
  is decided in full the next time it is decided (its stored decision is read from its
  history until then).
- ``decisions.delta``, ``decisions.payload`` nullable: a version is a snapshot (the whole
  Decision JSON) or the answers that changed since the version before. The history stored
  is converted: a version keeps its snapshot when it is a compose's first, when its verdict
  or its set of answers (team, testcase, scenario, arch, variant) differs from the version
  before, and every 64th version of a run of changes; every other version becomes the
  answers that changed, keyed by their place in the snapshot before it. Replaying the
  history gives every version's Decision JSON back as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNAPSHOT_EVERY = 64
_BATCH = 5000

results = sa.table(
    "results",
    sa.column("id", sa.Integer()),
    sa.column("compose_id", sa.String()),
    sa.column("testcase", sa.String()),
    sa.column("scenario", sa.String()),
    sa.column("arch", sa.String()),
    sa.column("variant", sa.String()),
    sa.column("submit_time", sa.DateTime(timezone=True)),
)
decisions = sa.table(
    "decisions",
    sa.column("id", sa.Integer()),
    sa.column("compose_id", sa.String()),
    sa.column("version", sa.Integer()),
    sa.column("verdict", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("delta", sa.JSON()),
)


def upgrade() -> None:
    op.add_column("composes", sa.Column("decision_state", sa.JSON(), nullable=True))
    op.add_column("decisions", sa.Column("delta", sa.JSON(), nullable=True))
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=True)
    latest = op.create_table(
        "latest_results",
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("testcase", sa.String(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("submit_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name="fk_latest_results_compose_id_composes"
        ),
        sa.PrimaryKeyConstraint("compose_id", "key", name="pk_latest_results"),
    )
    op.create_index(
        "ix_latest_results_compose_id_testcase", "latest_results", ["compose_id", "testcase"]
    )
    op.create_table(
        "decision_answers",
        sa.Column("compose_id", sa.String(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["compose_id"], ["composes.id"], name="fk_decision_answers_compose_id_composes"
        ),
        sa.PrimaryKeyConstraint("compose_id", "ordinal", name="pk_decision_answers"),
    )
    op.create_index(
        "ix_decision_answers_compose_id_testcase", "decision_answers", ["compose_id", "testcase"]
    )
    conn = op.get_bind()
    _fill_latest(conn, latest)
    _convert_history(conn)


def _key(testcase: str, scenario: str | None, arch: str | None, variant: str | None) -> str:
    text = json.dumps([testcase, scenario, arch, variant], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _fill_latest(conn: sa.Connection, latest: sa.Table) -> None:
    """The latest result of every key, from the results in id order (streamed)."""
    r = results.c
    best: dict[tuple[str, str], dict[str, Any]] = {}
    stmt = sa.select(r.id, r.compose_id, r.testcase, r.scenario, r.arch, r.variant,
                     r.submit_time).order_by(r.id)  # fmt: skip
    for db_id, compose_id, testcase, scenario, arch, variant, submit_time in conn.execute(
        stmt.execution_options(yield_per=_BATCH)
    ):
        key = (compose_id, _key(testcase, scenario, arch, variant))
        seen = best.get(key)
        if seen is None or submit_time >= seen["submit_time"]:  # a later id: the later result
            best[key] = {"compose_id": compose_id, "key": key[1], "testcase": testcase,
                         "result_id": db_id, "submit_time": submit_time}  # fmt: skip
    rows = list(best.values())
    for start in range(0, len(rows), _BATCH):
        conn.execute(latest.insert(), rows[start : start + _BATCH])


def _identity(answers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each answer's name (team, testcase, scenario, arch, variant, how many came before)."""
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for a in answers:
        name = (a["team"], a["testcase"], a.get("scenario"), a.get("arch"), a.get("variant"))
        seen[name] = seen.get(name, -1) + 1
        out.append((*name, seen[name]))
    return out


def _listed(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**a, "satisfied": True} for a in payload["satisfied_requirements"]] + [
        {**a, "satisfied": False} for a in payload["unsatisfied_requirements"]
    ]


def _convert_history(conn: sa.Connection) -> None:
    d = decisions.c
    ids = [row[0] for row in conn.execute(sa.select(d.compose_id).distinct())]
    for compose_id in ids:
        stmt = (sa.select(d.id, d.version, d.verdict, d.payload)
                .where(d.compose_id == compose_id).order_by(d.version))  # fmt: skip
        ordinal_of: dict[tuple[Any, ...], int] = {}
        current: dict[int, dict[str, Any]] = {}
        verdict, since = None, 0
        for row_id, _version, row_verdict, payload in conn.execute(stmt).all():
            if isinstance(payload, str):
                payload = json.loads(payload)
            answers = _listed(payload)
            names = _identity(answers)
            by_name = dict(zip(names, answers, strict=True))
            keep = (row_verdict != verdict or since + 1 >= SNAPSHOT_EVERY
                    or set(names) != set(ordinal_of))  # fmt: skip
            verdict = row_verdict
            if keep:
                ordinal_of = {name: n for n, name in enumerate(names)}
                current = dict(enumerate(answers))
                since = 0
                conn.execute(sa.update(decisions).where(d.id == row_id)
                             .values(delta={"ordinals": list(range(len(answers)))}))  # fmt: skip
                continue
            changed = {}
            for name, answer in by_name.items():
                n = ordinal_of[name]
                if current[n] != answer:
                    changed[str(n)] = answer
                    current[n] = answer
            since += 1
            conn.execute(sa.update(decisions).where(d.id == row_id)
                         .values(payload=sa.null(), delta={"changed": changed}))  # fmt: skip


def downgrade() -> None:
    conn = op.get_bind()
    from gatekeeper.store.decision_history import replay  # the one replay of the history
    from gatekeeper.store.tables import UTCDateTime

    d = decisions.c
    ids = [row[0] for row in conn.execute(sa.select(d.compose_id).distinct())]
    full = sa.table("decisions", *(sa.column(n) for n in ("id", "compose_id", "version",
                    "verdict", "summary", "payload", "delta")),
                    sa.column("evaluated_at", UTCDateTime()))  # fmt: skip
    for compose_id in ids:
        stmt = sa.select(full).where(full.c.compose_id == compose_id).order_by(full.c.version)
        rows = [dict(row) for row in conn.execute(stmt).mappings()]
        for row in rows:
            if isinstance(row["payload"], str):
                row["payload"] = json.loads(row["payload"])
            if isinstance(row["delta"], str):
                row["delta"] = json.loads(row["delta"])
        for replayed, payload in replay(compose_id, rows):
            if replayed["payload"] is None:
                done = sa.update(decisions).where(d.id == replayed["id"]).values(payload=payload)
                conn.execute(done)
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("delta")
    op.drop_index("ix_decision_answers_compose_id_testcase", "decision_answers")
    op.drop_table("decision_answers")
    op.drop_index("ix_latest_results_compose_id_testcase", "latest_results")
    op.drop_table("latest_results")
    with op.batch_alter_table("composes") as batch:
        batch.drop_column("decision_state")
