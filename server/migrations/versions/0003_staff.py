"""staff console: supervised sessions and their rosters

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 08:47:16.821080
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervised_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("lab", sa.String(length=100), nullable=False),
        sa.Column("starts_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("class_name", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_supervised_sessions_created_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervised_sessions")),
    )
    with op.batch_alter_table("supervised_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervised_sessions_lab"), ["lab"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervised_sessions_state"), ["state"], unique=False)

    op.create_table(
        "supervised_session_students",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervised_sessions.id"],
            name=op.f("fk_supervised_session_students_session_id_supervised_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_supervised_session_students_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervised_session_students")),
        sa.UniqueConstraint(
            "session_id", "student_id", name=op.f("uq_supervised_session_students_session_id")
        ),
    )
    with op.batch_alter_table("supervised_session_students", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervised_session_students_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supervised_session_students", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervised_session_students_session_id"))

    op.drop_table("supervised_session_students")
    with op.batch_alter_table("supervised_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervised_sessions_state"))
        batch_op.drop_index(batch_op.f("ix_supervised_sessions_lab"))

    op.drop_table("supervised_sessions")
