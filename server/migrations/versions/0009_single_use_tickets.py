"""single-use tickets: a result remembers the digest of the ticket that authorised it

A ticket authorises exactly one result (issue 12); the unique index makes a second result on
the same ticket fail even when two arrive at once. Results from before have no digest.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("verifications") as batch_op:
        batch_op.add_column(sa.Column("ticket_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_verifications_ticket_digest"), ["ticket_digest"])


def downgrade() -> None:
    with op.batch_alter_table("verifications") as batch_op:
        batch_op.drop_constraint(op.f("uq_verifications_ticket_digest"), type_="unique")
        batch_op.drop_column("ticket_digest")
