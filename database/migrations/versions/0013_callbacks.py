"""callbacks: citizens' call-back requests, officers on duty, the unit of a handoff request

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_code", sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f("ix_handoff_request_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "officer_presence",
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_officer_presence")),
    )
    with op.batch_alter_table("officer_presence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_presence_last_seen_at"), ["last_seen_at"], unique=False)

    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=8), nullable=True),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=False),
        sa.Column("preferred_time", sa.String(length=16), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
    )
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_request_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callback_request_unit_code"), ["unit_code"], unique=False)
        batch_op.create_index("ix_callback_request_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_request_status_due_at")
        batch_op.drop_index(batch_op.f("ix_callback_request_unit_code"))
        batch_op.drop_index(batch_op.f("ix_callback_request_sender_id"))
    op.drop_table("callback_request")
    with op.batch_alter_table("officer_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_presence_last_seen_at"))
    op.drop_table("officer_presence")
    with op.batch_alter_table("handoff_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_request_unit_code"))
        batch_op.drop_column("unit_code")
