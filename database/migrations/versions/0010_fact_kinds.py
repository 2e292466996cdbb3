"""fact kinds: each channel says what kind of fact its fee and deadline are (with the fee's unit
and basis and the condition that sets the channel apart); procedures keep guidance lines and
quality flags

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:30:00

Existing channels become "unknown" kinds until the seed is reloaded or the catalogue re-imported.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("procedure_channel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fee_kind", sa.String(length=16), server_default="unknown", nullable=False))
        batch_op.add_column(sa.Column("fee_unit", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("fee_basis", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("deadline_kind", sa.String(length=16), server_default="unknown", nullable=False))
        batch_op.add_column(sa.Column("condition", sa.Text(), nullable=True))
    # Existing procedures get empty lists; the model supplies them for new rows.
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guidance", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("quality_flags", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.alter_column("guidance", server_default=None, existing_type=sa.JSON(), existing_nullable=False)
        batch_op.alter_column("quality_flags", server_default=None, existing_type=sa.JSON(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_column("quality_flags")
        batch_op.drop_column("guidance")
    with op.batch_alter_table("procedure_channel", schema=None) as batch_op:
        batch_op.drop_column("condition")
        batch_op.drop_column("deadline_kind")
        batch_op.drop_column("fee_basis")
        batch_op.drop_column("fee_unit")
        batch_op.drop_column("fee_kind")
