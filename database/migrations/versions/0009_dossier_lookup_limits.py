"""dossier lookup limits: atomic counters per sender, client, (code, client) and code; attempts
record the client

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 19:00:00

The old per-code lock read the attempt rows; the counters start empty, so limits start afresh.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_lookup_counter",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", "window_start", name=op.f("pk_dossier_lookup_counter")),
    )
    with op.batch_alter_table("dossier_lookup_counter", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_lookup_counter_expires_at", ["expires_at"], unique=False)
    with op.batch_alter_table("dossier_lookup_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier_lookup_attempt", schema=None) as batch_op:
        batch_op.drop_column("client_hash")
    with op.batch_alter_table("dossier_lookup_counter", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_lookup_counter_expires_at")
    op.drop_table("dossier_lookup_counter")
