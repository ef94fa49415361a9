"""enrolment codes (new PCs join a lab with a code), remote control of terminals

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("lab", sa.String(length=100), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("expires_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_enrolment_codes_created_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrolment_codes_code_hash")),
    )
    # Plain ALTER TABLE (no batch copy): other tables' foreign keys point at terminals.
    op.add_column(
        "terminals",
        sa.Column("end_session_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "terminals", sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("terminals", sa.Column("notice", sa.String(length=200), nullable=True))


def downgrade() -> None:
    for column in ("notice", "locked", "end_session_pending"):
        op.drop_column("terminals", column)
    op.drop_table("enrolment_codes")
