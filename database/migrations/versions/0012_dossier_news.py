"""dossier news: subscriptions to a dossier's status changes and each change recorded once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=True),
        sa.Column("recipient_hash", sa.String(length=64), nullable=False),
        sa.Column("consent_version", sa.String(length=16), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_status", sa.String(length=32), nullable=False),
        sa.Column("last_status_at", sa.DateTime(), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_subscription")),
    )
    with op.batch_alter_table("dossier_subscription", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_subscription_next_poll_at", ["next_poll_at"], unique=False)
        batch_op.create_index("ix_dossier_subscription_dossier_code", ["dossier_code"], unique=False)
        batch_op.create_index("ix_dossier_subscription_recipient_hash", ["recipient_hash"], unique=False)
    op.create_table(
        "dossier_news",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["dossier_subscription.id"],
            name=op.f("fk_dossier_news_subscription_id_dossier_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_news")),
        sa.UniqueConstraint("subscription_id", "status", "status_at", name="uq_dossier_news_subscription_status"),
    )
    with op.batch_alter_table("dossier_news", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_news_subscription_id"), ["subscription_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossier_news", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_news_subscription_id"))
    op.drop_table("dossier_news")
    with op.batch_alter_table("dossier_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_subscription_recipient_hash")
        batch_op.drop_index("ix_dossier_subscription_dossier_code")
        batch_op.drop_index("ix_dossier_subscription_next_poll_at")
    op.drop_table("dossier_subscription")
