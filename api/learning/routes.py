"""Learning loop pages and JSON: the inbox, decisions, and the guarded retrain (editors, admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.learning.runtime import rasa_available, retrain_service
from api.staff.security import Role, StaffPrincipal, require_roles
from api.staff.templating import render
from core.db import get_session
from core.settings import PROJECT_ROOT
from knowledge.procedures.search import procedure_search
from servicedesk.learning import service
from servicedesk.learning.models import RetrainJob, TrainedModel
from servicedesk.learning.retrain import STAGE_LABELS, STATUS_LABELS, RetrainConflict, RetrainService
from servicedesk.learning.settings import learned_nlu_path
from servicedesk.learning.training_file import read_examples

router = APIRouter(tags=["staff: learning"])
Editor = Annotated[StaffPrincipal, Depends(require_roles(Role.EDITOR))]
SessionDep = Annotated[Session, Depends(get_session)]
Retrain = Annotated[RetrainService, Depends(retrain_service)]
RasaAvailable = Annotated[bool, Depends(rasa_available)]
GATE_NOTE = (
    "Mô hình mới chỉ được kích hoạt nếu macro-F1 trên bộ kiểm thử (tests/nlu/heldout.yml) "
    "không thấp hơn mô hình đang chạy (sai số cho phép: 0)."
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


class IntentDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intent: str = Field(min_length=1, max_length=64)


class AliasDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure_code: str = Field(min_length=1, max_length=64)
    alias: str | None = Field(default=None, max_length=1000)


# --- page --------------------------------------------------------------------------------------
@router.get("/staff/learning", response_class=HTMLResponse, include_in_schema=False)
def learning_page(request: Request, user: Editor, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "learning/templates/learning.html",
        user,
        intents=service.intent_options(),
        reasons=service.REASON_LABELS,
        pending=service.pending_count(session),
        gate_note=GATE_NOTE,
        learned_file=_display_path(),
    )


def _display_path() -> str:
    path = learned_nlu_path()
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


# --- inbox -------------------------------------------------------------------------------------
@router.get("/staff/api/learning/inbox")
def inbox(
    user: Editor,
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


@router.get("/staff/api/learning/intents")
def intents(user: Editor) -> list[dict[str, str]]:
    return service.intent_options()


@router.get("/staff/api/learning/procedures")
def procedures(
    user: Editor, session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=500)]
) -> list[dict[str, Any]]:
    hits = procedure_search.search(session, q, limit=8)
    return [{"code": h.code, "name": h.name, "score": round(h.score, 3)} for h in hits]


def _decide(session: Session, action: Any) -> JSONResponse:
    try:
        result = action()
        session.commit()
    except service.AlreadyDecided as error:
        session.rollback()
        return _error(409, str(error))
    except service.DecisionError as error:
        session.rollback()
        return _error(400, str(error))
    except BaseException:
        session.rollback()
        raise
    return JSONResponse({**result.as_dict(), "pending": service.pending_count(session)})


@router.post("/staff/api/learning/inbox/{turn_id}/intent")
def assign_intent(turn_id: int, body: IntentDecision, user: Editor, session: SessionDep) -> JSONResponse:
    learned = learned_nlu_path()
    return _decide(
        session, lambda: service.assign_intent(session, turn_id, body.intent, actor=user, learned_path=learned)
    )


@router.post("/staff/api/learning/inbox/{turn_id}/alias")
def assign_alias(turn_id: int, body: AliasDecision, user: Editor, session: SessionDep) -> JSONResponse:
    return _decide(
        session, lambda: service.assign_alias(session, turn_id, body.procedure_code, actor=user, alias=body.alias)
    )


@router.post("/staff/api/learning/inbox/{turn_id}/dismiss")
def dismiss(turn_id: int, user: Editor, session: SessionDep) -> JSONResponse:
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


@router.get("/staff/api/learning/retrain")
def retrain_overview(user: Editor, retrain: Retrain, available: RasaAvailable) -> dict[str, Any]:
    retrain.recover_stale()
    jobs = retrain.jobs(limit=20)
    running = next((j.id for j in jobs if j.status in ("queued", "running")), None)
    learned = sum(len(v) for v in read_examples(learned_nlu_path()).values())
    return {
        "jobs": [job_json(j) for j in jobs],
        "models": [_model_json(m) for m in retrain.models(limit=20)],
        "running": running,
        "learned_examples": learned,
        "gate": GATE_NOTE,
        "available": available,
    }


@router.get("/staff/api/learning/retrain/{job_id}")
def retrain_job(job_id: int, user: Editor, retrain: Retrain) -> JSONResponse:
    job = retrain.job(job_id)
    if job is None:
        return _error(404, f"Không có lượt huấn luyện #{job_id}.")
    return JSONResponse(job_json(job))


@router.post("/staff/api/learning/retrain", status_code=202)
def start_retrain(user: Editor, retrain: Retrain, available: RasaAvailable) -> JSONResponse:
    if not available:
        return _error(503, "Máy chủ này không có môi trường Rasa (TTHC_RASA_VENV) nên không huấn luyện lại được.")
    try:
        job_id = retrain.start(user)
    except RetrainConflict as conflict:
        return _error(409, str(conflict))
    job = retrain.job(job_id)
    assert job is not None
    return JSONResponse(status_code=202, content=job_json(job))
