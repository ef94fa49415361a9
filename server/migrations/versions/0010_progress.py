"""progress: reminders, decision notices, the daily-job lock, and the progress view's index

Issue 15 ("Nobody left behind"): a reminder per student per day at most (the unique pair),
messages about decisions on corrections for the kiosk's record overview, a row per
once-a-day job that workers race to update, and (college, class, window end) covering the grouped counts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_students_progress", "students", ["college", "class_name", "window_closes_at"]
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("channels", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_reminders_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("student_id", "day", name=op.f("uq_reminders_student_id")),
    )  # fmt: skip
    op.create_table(
        "decision_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("at", server.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", server.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_decision_notices_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"], ["corrections.id"],
            name=op.f("fk_decision_notices_correction_id_corrections"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_notices")),
    )  # fmt: skip
    op.create_index(op.f("ix_decision_notices_student_id"), "decision_notices", ["student_id"])
    op.create_index(
        op.f("ix_decision_notices_dispatched_at"), "decision_notices", ["dispatched_at"]
    )
    op.create_table(
        "daily_jobs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daily_jobs")),
    )


def downgrade() -> None:
    op.drop_table("daily_jobs")
    op.drop_index(op.f("ix_decision_notices_dispatched_at"), table_name="decision_notices")
    op.drop_index(op.f("ix_decision_notices_student_id"), table_name="decision_notices")
    op.drop_table("decision_notices")
    op.drop_table("reminders")
    op.drop_index("ix_students_progress", table_name="students")
