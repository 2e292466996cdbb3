"""learning

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learning_retrain_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("log_tail", sa.Text(), nullable=False),
        sa.Column("components_done", sa.Integer(), nullable=False),
        sa.Column("components_total", sa.Integer(), nullable=True),
        sa.Column("learned_examples", sa.Integer(), nullable=True),
        sa.Column("base_hash", sa.String(length=32), nullable=True),
        sa.Column("candidate_path", sa.String(length=1000), nullable=True),
        sa.Column("current_path", sa.String(length=1000), nullable=True),
        sa.Column("candidate_scores", sa.JSON(), nullable=True),
        sa.Column("current_scores", sa.JSON(), nullable=True),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.Column("runner_id", sa.String(length=128), nullable=True),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_retrain_job")),
    )
    with op.batch_alter_table("learning_retrain_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_retrain_job_status"), ["status"], unique=False)

    op.create_table(
        "learning_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("macro_f1", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["learning_retrain_job.id"],
            name=op.f("fk_learning_model_job_id_learning_retrain_job"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_model")),
        sa.UniqueConstraint("path", name=op.f("uq_learning_model_path")),
    )
    op.create_table(
        "learning_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("alias", sa.String(length=255), nullable=True),
        sa.Column("example", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["turn_id"],
            ["conversation_turn.id"],
            name=op.f("fk_learning_decision_turn_id_conversation_turn"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_decision")),
        sa.UniqueConstraint("turn_id", name=op.f("uq_learning_decision_turn_id")),
    )


def downgrade() -> None:
    op.drop_table("learning_decision")
    op.drop_table("learning_model")
    with op.batch_alter_table("learning_retrain_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_retrain_job_status"))

    op.drop_table("learning_retrain_job")
