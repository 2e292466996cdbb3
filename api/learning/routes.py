"""Learning loop pages and JSON: the inbox, decisions, and the guarded retrain (editors, admins)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from api.deps import EditorUser, RetrainDep, SessionDep
from api.errors import error_responses
from api.learning.runtime import rasa_available
from api.learning.schemas import (
    AliasDecision,
    DecisionOutcome,
    InboxPage,
    IntentDecision,
    IntentOption,
    ProcedureHit,
    RetrainJobView,
    RetrainOverview,
)
from api.staff.templating import render
from core.errors import NotFoundError
from core.labels import CHAT_CHANNEL_LABELS
from core.settings import PROJECT_ROOT, get_settings
from knowledge.procedures.search import procedure_search
from servicedesk.learning import service
from servicedesk.learning.models import RetrainJob, TrainedModel
from servicedesk.learning.retrain import STAGE_LABELS, STATUS_LABELS
from servicedesk.learning.training_file import read_examples

router = APIRouter(tags=["staff: learning"])
RasaAvailable = Annotated[bool, Depends(rasa_available)]
GATE_NOTE = (
    "Mô hình mới chỉ được kích hoạt nếu macro-F1 trên bộ kiểm thử (tests/nlu/heldout.yml) "
    "không thấp hơn mô hình đang chạy (sai số cho phép: 0)."
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


# --- page --------------------------------------------------------------------------------------
@router.get("/staff/learning", response_class=HTMLResponse, include_in_schema=False)
def learning_page(request: Request, user: EditorUser, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "learning/templates/learning.html",
        user,
        intents=service.intent_options(),
        reasons=service.REASON_LABELS,
        channels=CHAT_CHANNEL_LABELS,
        pending=service.pending_count(session),
        gate_note=GATE_NOTE,
        learned_file=_display_path(),
    )


def _display_path() -> str:
    path = get_settings().learned_nlu_file
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


# --- inbox -------------------------------------------------------------------------------------
@router.get("/staff/api/learning/inbox", response_model=InboxPage)
def inbox(
    user: EditorUser,
    session: SessionDep,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    reason: Annotated[Literal["fallback", "low_confidence"] | None, Query()] = None,
    intent: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    filters = service.InboxFilters(
        channel=channel or None,
        reason=reason,
        intent=intent or None,
        q=q or None,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    items, total = service.inbox(session, filters)
    return {"items": [i.as_dict() for i in items], "total": total, "pending": service.pending_count(session)}


@router.get("/staff/api/learning/intents", response_model=list[IntentOption])
def intents(user: EditorUser) -> list[dict[str, str]]:
    return service.intent_options()


@router.get("/staff/api/learning/procedures", response_model=list[ProcedureHit])
def procedures(
    user: EditorUser, session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> list[dict[str, Any]]:
    hits = procedure_search.search(session, q, limit=8)
    return [{"code": h.code, "name": h.name, "score": round(h.score, 3)} for h in hits]


DECISION_REFUSALS = error_responses(
    400, 404, 409, s400="Quyết định không hợp lệ (ý định, tên gọi, tin nhắn)", s409="Tin nhắn đã được xử lý"
)


def _decide(session: Session, action: Callable[[], service.DecisionResult]) -> dict[str, Any]:
    try:
        result = action()
        session.commit()
    except BaseException:  # a refusal (core.errors) is answered by api/errors.py
        session.rollback()
        raise
    return {**result.as_dict(), "pending": service.pending_count(session)}


@router.post("/staff/api/learning/inbox/{turn_id}/intent", response_model=DecisionOutcome, responses=DECISION_REFUSALS)
def assign_intent(turn_id: int, body: IntentDecision, user: EditorUser, session: SessionDep) -> dict[str, Any]:
    learned = get_settings().learned_nlu_file
    return _decide(
        session, lambda: service.assign_intent(session, turn_id, body.intent, actor=user, learned_path=learned)
    )


@router.post("/staff/api/learning/inbox/{turn_id}/alias", response_model=DecisionOutcome, responses=DECISION_REFUSALS)
def assign_alias(turn_id: int, body: AliasDecision, user: EditorUser, session: SessionDep) -> dict[str, Any]:
    return _decide(
        session, lambda: service.assign_alias(session, turn_id, body.procedure_code, actor=user, alias=body.alias)
    )


@router.post("/staff/api/learning/inbox/{turn_id}/dismiss", response_model=DecisionOutcome, responses=DECISION_REFUSALS)
def dismiss(turn_id: int, user: EditorUser, session: SessionDep) -> dict[str, Any]:
    return _decide(session, lambda: service.dismiss(session, turn_id, actor=user))


# --- retrain -----------------------------------------------------------------------------------
def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def job_json(job: RetrainJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "status_label": STATUS_LABELS.get(job.status, job.status),
        "stage": job.stage,
        "stage_label": STAGE_LABELS.get(job.stage, job.stage),
        "progress": job.progress,
        "message": job.message,
        "log_tail": job.log_tail,
        "components_done": job.components_done,
        "components_total": job.components_total,
        "learned_examples": job.learned_examples,
        "candidate_model": job.candidate_path.rsplit("/", 1)[-1] if job.candidate_path else None,
        "current_model": job.current_path.rsplit("/", 1)[-1] if job.current_path else None,
        "candidate_scores": _scores(job.candidate_scores),
        "current_scores": _scores(job.current_scores),
        "activated": job.activated,
        "started_by": job.started_by,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
    }


def _scores(scores: dict[str, Any] | None) -> dict[str, Any] | None:
    if not scores:
        return None
    return {k: scores.get(k) for k in ("n", "accuracy", "macro_f1", "fallback_rate")}


def _model_json(model: TrainedModel) -> dict[str, Any]:
    return {
        "name": model.path.rsplit("/", 1)[-1],
        "sha256": model.sha256[:12],
        "accuracy": model.accuracy,
        "macro_f1": model.macro_f1,
        "active": model.active,
        "job_id": model.job_id,
        "created_at": _when(model.created_at),
        "activated_at": _when(model.activated_at),
    }


@router.get("/staff/api/learning/retrain", response_model=RetrainOverview)
def retrain_overview(user: EditorUser, retrain: RetrainDep, available: RasaAvailable) -> dict[str, Any]:
    retrain.recover_stale()
    jobs = retrain.jobs(limit=20)
    running = next((j.id for j in jobs if j.status in ("queued", "running")), None)
    learned = sum(len(v) for v in read_examples(get_settings().learned_nlu_file).values())
    return {
        "jobs": [job_json(j) for j in jobs],
        "models": [_model_json(m) for m in retrain.models(limit=20)],
        "running": running,
        "learned_examples": learned,
        "gate": GATE_NOTE,
        "available": available,
    }


@router.get("/staff/api/learning/retrain/{job_id}", response_model=RetrainJobView, responses=error_responses(404))
def retrain_job(job_id: int, user: EditorUser, retrain: RetrainDep) -> dict[str, Any]:
    job = retrain.job(job_id)
    if job is None:
        raise NotFoundError(f"Không có lượt huấn luyện #{job_id}.")
    return job_json(job)


@router.post(
    "/staff/api/learning/retrain",
    status_code=202,
    response_model=RetrainJobView,
    responses=error_responses(409, 503, s409="Đang có một lượt huấn luyện", s503="Máy chủ không có môi trường Rasa"),
)
def start_retrain(user: EditorUser, retrain: RetrainDep, available: RasaAvailable) -> Any:
    if not available:
        return _error(503, "Máy chủ này không có môi trường Rasa (TTHC_RASA_VENV) nên không huấn luyện lại được.")
    job_id = retrain.start(user)  # RetrainConflict: 409 (api/errors.py)
    job = retrain.job(job_id)
    assert job is not None
    return job_json(job)
