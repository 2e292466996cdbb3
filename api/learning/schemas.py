"""What the learning endpoints (``/staff/api/learning/...``) take and answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# --- requests --------------------------------------------------------------------------------------


class IntentDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intent: str = Field(min_length=1, max_length=64)


class AliasDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure_code: str = Field(min_length=1, max_length=64)
    alias: str | None = Field(default=None, max_length=1000)


# --- the inbox -------------------------------------------------------------------------------------


class InboxItem(BaseModel):
    """A message the assistant did not understand well (``servicedesk.learning.service.InboxItem``)."""

    id: int
    at: str
    channel: str
    channel_label: str
    unit_code: str | None
    intent: str | None = Field(description="What the assistant guessed")
    intent_label: str | None
    confidence: float | None
    fallback: bool
    reason: str = Field(description="fallback | low_confidence")
    procedure_code: str | None
    text: str


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int
    pending: int


class IntentOption(BaseModel):
    name: str
    label: str


class ProcedureHit(BaseModel):
    code: str
    name: str
    score: float


class DecisionOutcome(BaseModel):
    turn_id: int
    kind: str = Field(description="intent | alias | dismiss")
    message: str = Field(description="Câu báo kết quả cho biên tập viên")
    added: bool
    pending: int = Field(description="Số tin nhắn còn chờ xem xét")


# --- retraining ------------------------------------------------------------------------------------


class Scores(BaseModel):
    # int | float: a score stored as a whole number is answered as it is stored.
    n: int | float | None = None
    accuracy: int | float | None = None
    macro_f1: int | float | None = None
    fallback_rate: int | float | None = None


class RetrainJobView(BaseModel):
    id: int
    status: str
    status_label: str
    stage: str
    stage_label: str
    progress: int
    message: str | None
    log_tail: str
    components_done: int
    components_total: int | None
    learned_examples: int | None
    candidate_model: str | None
    current_model: str | None
    candidate_scores: Scores | None
    current_scores: Scores | None
    activated: bool
    started_by: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None


class TrainedModelView(BaseModel):
    name: str
    sha256: str = Field(description="12 first hex digits")
    accuracy: float | None
    macro_f1: float | None
    active: bool
    job_id: int | None
    created_at: str | None
    activated_at: str | None


class RetrainOverview(BaseModel):
    jobs: list[RetrainJobView]
    models: list[TrainedModelView]
    running: int | None = Field(description="The job queued or running, if any")
    learned_examples: int
    gate: str
    available: bool = Field(description="Whether this server can run `rasa train`")
