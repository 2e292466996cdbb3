"""knowledge admin: centre e-mail and origin, one snapshot per procedure version number

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_centre", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=16), server_default="seed", nullable=False))
    with op.batch_alter_table("procedure_version", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_procedure_version_procedure_id"), ["procedure_id", "version"])


def downgrade() -> None:
    with op.batch_alter_table("procedure_version", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_procedure_version_procedure_id"), type_="unique")
    with op.batch_alter_table("service_centre", schema=None) as batch_op:
        batch_op.drop_column("origin")
        batch_op.drop_column("email")
