"""Issue 13, point 4: one of each. One settings object, one error family mapped in one place, one
application context built by the lifespan, one vocabulary of labels, one audit actor, and two
hashes of a sender that are not confused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AppContext
from api.errors import install_error_handlers
from api.staff.security import StaffPrincipal
from core.audit.actor import CLI, Actor
from core.audit.models import AuditEntry
from core.audit.service import record
from core.errors import ConflictError, DomainError, ForbiddenError, InvalidError, NotFoundError, RejectedError
from core.labels import CHAT_CHANNEL_LABELS, INTENT_LABELS, chat_channel_label, intent_label
from core.privacy import sender_hash
from core.settings import Settings, get_settings
from servicedesk.accounts.roles import Role
from servicedesk.dossiers.hashing import keyed_sender_hash
from servicedesk.learning.service import AlreadyDecided, DecisionError, InboxItem

# --- settings -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_one_settings_object_holds_every_concern(fresh_settings: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = fresh_settings
    env.setenv("TTHC_ZALO_APP_ID", " 4312 ")
    env.setenv("TTHC_DOSSIER_CONNECTOR", "http")
    env.setenv("TTHC_CORS_ORIGINS", " https://xa.example.vn/ ,, https://phuong.example.vn")
    env.setenv("TTHC_LEARNED_NLU_PATH", "data/nlu/learned-test.yml")
    env.setenv("TTHC_CACHE_DIR", str(tmp_path / "cache"))
    env.setenv("TTHC_RASA_VENV", "")  # set but empty, as a shell may leave it: not configured
    env.setenv("TTHC_API_PORT", "8123")
    settings = get_settings()
    assert settings.zalo.app_id == "4312" and not settings.zalo.configured
    assert settings.dossier.connector == "http"
    assert settings.cors_origin_list == ["https://xa.example.vn", "https://phuong.example.vn"]
    assert settings.learned_nlu_file.is_absolute() and settings.learned_nlu_file.name == "learned-test.yml"
    assert settings.cache_dir == tmp_path / "cache"
    assert settings.rasa_venv is None
    assert settings.api_port == 8123
    assert get_settings() is settings  # one object per process


def test_no_module_reads_configuration_from_os_environ() -> None:
    """Configuration is read by core/settings.py only; building a child process's environment
    (dict(os.environ) in cli/stack.py and core/paths.py) is not reading configuration."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("api", "actions", "core", "knowledge", "servicedesk", "database", "cli"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(read in text for read in ("os.environ.get(", "os.getenv(", "os.environ[")):
                offenders.append(str(path.relative_to(root)))
    # cli/stack.py hands the token to the Rasa child in its environment; the child reads it there.
    assert set(offenders) <= {"cli/stack.py"}, offenders


# --- errors ---------------------------------------------------------------------------------------


def _app_raising(error: DomainError) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/refused")
    def refused() -> None:
        raise error

    return TestClient(app)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("Không tìm thấy yêu cầu hỗ trợ này."), 404),
        (ConflictError("Yêu cầu này đã đóng."), 409),
        (ForbiddenError("Cuộc trò chuyện này do cán bộ khác phụ trách."), 403),
        (InvalidError("Tên gọi trống."), 422),
        (RejectedError("Ý định không có trong domain.yml."), 400),
        (DecisionError("Tên gọi trống."), 400),
        # Rejected and a conflict: the more specific status wins.
        (AlreadyDecided("Tin nhắn này đã được lan xử lý."), 409),
    ],
)
def test_every_refusal_is_mapped_to_its_status_with_its_vietnamese_sentence(error: DomainError, status: int) -> None:
    response = _app_raising(error).get("/refused")
    assert response.status_code == status
    assert response.json() == {"error": error.message}


def test_an_invalid_input_that_names_its_field_answers_like_any_validation_error() -> None:
    response = _app_raising(InvalidError("ngày không hợp lệ", field="from")).get("/refused")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "Dữ liệu gửi lên không hợp lệ — from: ngày không hợp lệ"
    assert body["detail"] == [{"field": "from", "message": "ngày không hợp lệ", "type": "value_error"}]


def test_the_domain_exceptions_all_derive_from_the_one_base() -> None:
    from knowledge.centres.service import CentreCheckError, CentreNotFoundError
    from knowledge.importer.rows import ImportFileError, RowError
    from knowledge.importer.staging import StagingError
    from knowledge.procedures.service import (
        AliasConflictError,
        ProcedureExistsError,
        ProcedureNotFoundError,
        StaleVersionError,
        VersionNotFoundError,
    )
    from servicedesk.accounts.service import AccountError
    from servicedesk.analytics.service import InvalidRange
    from servicedesk.feedback.service import FeedbackError
    from servicedesk.handoff.service import HandoffError
    from servicedesk.learning.retrain import RetrainConflict
    from servicedesk.learning.training_file import ExampleError

    kinds = {
        CentreNotFoundError: NotFoundError,
        ProcedureNotFoundError: NotFoundError,
        VersionNotFoundError: NotFoundError,
        AliasConflictError: ConflictError,
        ProcedureExistsError: ConflictError,
        StaleVersionError: ConflictError,
        StagingError: ConflictError,
        RetrainConflict: ConflictError,
        CentreCheckError: InvalidError,
        ImportFileError: InvalidError,
        RowError: InvalidError,
        AccountError: InvalidError,
        InvalidRange: InvalidError,
        FeedbackError: InvalidError,
        ExampleError: InvalidError,
        HandoffError: DomainError,
    }
    for cls, kind in kinds.items():
        assert issubclass(cls, kind), cls
    # Callers that caught the builtin bases still do.
    assert issubclass(ProcedureNotFoundError, LookupError) and issubclass(AccountError, ValueError)


# --- the application context ----------------------------------------------------------------------


def test_the_lifespan_builds_one_context_and_puts_nothing_else_on_app_state(
    staff_client: TestClient,
) -> None:
    app: Any = staff_client.app
    context = app.state.context
    assert isinstance(context, AppContext)
    assert context.zalo.context is context  # Zalo messages are routed like web ones
    assert context.retrain is not None
    assert set(vars(app.state)["_state"]) == {"context"}


# --- labels ---------------------------------------------------------------------------------------


def test_one_vocabulary_of_labels_for_the_inbox_the_analytics_and_the_console() -> None:
    item = InboxItem(
        id=1,
        at=dt.datetime(2026, 11, 24, 9, 0),
        channel="web",
        unit_code=None,
        intent="ask_fee",
        confidence=0.41,
        fallback=False,
        procedure_code=None,
        text="bao nhiêu tiền",
    ).as_dict()
    assert item["intent_label"] == intent_label("ask_fee") == "Hỏi phí, lệ phí"
    assert item["channel_label"] == chat_channel_label("web") == "Trang web"
    assert chat_channel_label("sms") == "sms" and intent_label("new_intent") == "new_intent"
    assert set(CHAT_CHANNEL_LABELS) == {"web", "zalo"} and "nlu_fallback" in INTENT_LABELS


def test_the_console_names_a_channel_as_the_analytics_do(session: Session) -> None:
    from api.console.service import request_view
    from servicedesk.handoff import service as handoff

    outcome = handoff.request_handoff(session, sender_id="zalo-123", channel="zalo")
    view = request_view(outcome.request, "lan", {})
    assert view["channel_label"] == CHAT_CHANNEL_LABELS["zalo"]
    assert view["citizen"].startswith("Zalo #")
    web = request_view(handoff.request_handoff(session, sender_id="web-1", channel="web").request, "lan", {})
    assert web["citizen"] == f"Trang web #{sender_hash('web-1')[:6]}"


# --- audit actor ----------------------------------------------------------------------------------


def test_a_staff_principal_is_the_audit_actor_and_so_is_the_command_line(session: Session) -> None:
    officer = StaffPrincipal(id=7, username="lan", display_name="Nguyễn Thị Lan", role=Role.AGENT, csrf_token="x")
    assert isinstance(officer, Actor)
    record(session, actor=officer, action="test.one", entity_type="t", entity_id=1)
    record(session, actor=CLI, action="test.two", entity_type="t", entity_id=2)
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.actor, r.actor_role) for r in rows[-2:]] == [("lan", "agent"), ("cli", None)]


# --- hashes ---------------------------------------------------------------------------------------


def test_the_plain_and_the_keyed_sender_hashes_are_distinct_functions() -> None:
    plain = sender_hash("web-1")
    keyed = keyed_sender_hash("web-1", b"pepper")
    assert plain == sender_hash("web-1") and len(plain) == 32
    assert keyed != plain and keyed != keyed_sender_hash("web-1", b"another pepper")


def test_settings_defaults_need_no_environment() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.zalo.text_limit == 2000 and settings.dossier.max_lookups == 20
