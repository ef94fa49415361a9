"""corrections workflow: decisions and their history, proof, fields to check again

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correction_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=False),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("proof", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_correction_events_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"],
            ["corrections.id"],
            name=op.f("fk_correction_events_correction_id_corrections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_events")),
    )
    with op.batch_alter_table("correction_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_correction_events_correction_id"), ["correction_id"], unique=False
        )

    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_corrections_decided_by_accounts"), "accounts", ["decided_by"], ["id"]
        )

    with op.batch_alter_table("students", schema=None) as batch_op:
        # Existing rows have nothing to check again; the default fills them.
        batch_op.add_column(
            sa.Column("recheck_fields", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_column("recheck_fields")

    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_corrections_decided_by_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("comment")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("proof")

    with op.batch_alter_table("correction_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correction_events_correction_id"))

    op.drop_table("correction_events")
