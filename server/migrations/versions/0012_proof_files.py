"""proof files: documents students photograph for their corrections (issue 14)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proof_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["verifications.id"],
            name=op.f("fk_proof_files_verification_id_verifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proof_files")),
    )
    with op.batch_alter_table("proof_files") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proof_files_verification_id"), ["verification_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("proof_files") as batch_op:
        batch_op.drop_index(batch_op.f("ix_proof_files_verification_id"))
    op.drop_table("proof_files")
