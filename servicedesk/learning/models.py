"""Inbox decisions, retrain jobs and the registry of trained models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

DECISION_KINDS = ("intent", "alias", "dismiss")
JOB_STATUSES = ("queued", "running", "succeeded", "rejected", "failed")
ACTIVE_JOB_STATUSES = ("queued", "running")


class InboxDecision(Base):
    """What an editor did with one message of the inbox (each message is decided once)."""

    __tablename__ = "learning_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("conversation_turn.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    alias: Mapped[str | None] = mapped_column(String(255))
    # The text as written to the training file (an intent decision) — already redacted.
    example: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class RetrainJob(Base):
    """One ``rasa train`` + evaluation + guarded activation, started from the console."""

    __tablename__ = "learning_retrain_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)  # Vietnamese outcome or failure reason
    log_tail: Mapped[str] = mapped_column(Text, default="")
    components_done: Mapped[int] = mapped_column(Integer, default=0)
    components_total: Mapped[int | None] = mapped_column(Integer)
    learned_examples: Mapped[int | None] = mapped_column(Integer)
    base_hash: Mapped[str | None] = mapped_column(String(32))
    candidate_path: Mapped[str | None] = mapped_column(String(1000))
    current_path: Mapped[str | None] = mapped_column(String(1000))
    candidate_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    current_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    activated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which API process runs it: a job left "running" by another (dead) process is failed.
    runner_id: Mapped[str | None] = mapped_column(String(128))
    started_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TrainedModel(Base):
    """A model the retrain has seen: the one the server ran before, and each candidate."""

    __tablename__ = "learning_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    accuracy: Mapped[float | None] = mapped_column(Float)
    macro_f1: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("learning_retrain_job.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
