"""province batches: key-field corrections go to the provincial education department

A batch holds the key-field corrections the registrar submitted together (issue 14); a
correction remembers its batch and the reference of the province's reply.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "province_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_province_batches_created_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_province_batches_number")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("province_reference", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_corrections_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_corrections_batch_id_province_batches"),
            "province_batches",
            ["batch_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_corrections_batch_id_province_batches"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_corrections_batch_id"))
        batch_op.drop_column("province_reference")
        batch_op.drop_column("batch_id")
    op.drop_table("province_batches")
