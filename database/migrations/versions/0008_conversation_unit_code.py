"""conversation turns keep the official code of their unit, not the widget's free text

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 18:00:00

Existing texts become the code of the one current unit with exactly that name (SQL only, so the
migration does not depend on the application's resolver); anything else becomes no unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_turn", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_code", sa.String(length=8), nullable=True))
    op.execute(
        """
        UPDATE conversation_turn SET unit_code = (
            SELECT CASE WHEN count(DISTINCT u.code) = 1 THEN min(u.code) END FROM administrative_unit u
            WHERE u.status = 'current' AND u.name = conversation_turn.unit
        )
        WHERE unit IS NOT NULL
        """
    )
    with op.batch_alter_table("conversation_turn", schema=None) as batch_op:
        batch_op.drop_column("unit")


def downgrade() -> None:
    with op.batch_alter_table("conversation_turn", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=255), nullable=True))
    op.execute(
        """
        UPDATE conversation_turn SET unit = (
            SELECT min(u.name) FROM administrative_unit u
            WHERE u.status = 'current' AND u.code = conversation_turn.unit_code
        )
        WHERE unit_code IS NOT NULL
        """
    )
    with op.batch_alter_table("conversation_turn", schema=None) as batch_op:
        batch_op.drop_column("unit_code")
