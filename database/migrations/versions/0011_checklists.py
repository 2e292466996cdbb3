"""personal checklists: questions of a procedure, when each document applies, form links, and
saved checklists behind a printable link

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:00:00

Existing procedures get no questions until the seed is reloaded or an editor writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checklist_questions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.alter_column(
            "checklist_questions", server_default=None, existing_type=sa.JSON(), existing_nullable=False
        )
    with op.batch_alter_table("procedure_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applies_when", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("form_url", sa.String(length=1000), nullable=True))
    op.create_table(
        "saved_checklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("channel_kind", sa.String(length=16), nullable=True),
        sa.Column("unit_code", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_checklist")),
        sa.UniqueConstraint("token", name=op.f("uq_saved_checklist_token")),
    )
    with op.batch_alter_table("saved_checklist", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_checklist_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_checklist_procedure_code"), ["procedure_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_checklist", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_checklist_procedure_code"))
        batch_op.drop_index(batch_op.f("ix_saved_checklist_expires_at"))
    op.drop_table("saved_checklist")
    with op.batch_alter_table("procedure_document", schema=None) as batch_op:
        batch_op.drop_column("form_url")
        batch_op.drop_column("applies_when")
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_column("checklist_questions")
