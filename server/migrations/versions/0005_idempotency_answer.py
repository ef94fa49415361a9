"""idempotency keys: stored with their answer in the result's transaction, so no status

A key is now written last, in the same transaction as the result and with the answer, so
the ``in_progress``/``done`` status and the answer's status code (always 201) said nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 13:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A key without an answer was never committed by the old code (its claim and its answer
    # shared one transaction), so none can exist; the delete makes NOT NULL safe regardless.
    op.execute("DELETE FROM idempotency_keys WHERE response_body IS NULL")
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("response_code")
        batch_op.alter_column("response_body", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.alter_column("response_body", existing_type=sa.Text(), nullable=True)
        batch_op.add_column(
            sa.Column("response_code", sa.Integer(), nullable=True, server_default="201")
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=12), nullable=False, server_default="done")
        )
