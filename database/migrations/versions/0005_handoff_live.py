"""handoff live: officers take a conversation, talk in it and hand it back

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_handoff_request_status", ["status"], unique=False)

    op.create_table(
        "handoff_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agent_username", sa.String(length=255), nullable=True),
        sa.Column("agent_name", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["handoff_request.id"],
            name=op.f("fk_handoff_message_request_id_handoff_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_message")),
    )
    with op.batch_alter_table("handoff_message", schema=None) as batch_op:
        batch_op.create_index("ix_handoff_message_request_id_id", ["request_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_message", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_message_request_id_id")
    op.drop_table("handoff_message")
    with op.batch_alter_table("handoff_request", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_request_status")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closed_by")
