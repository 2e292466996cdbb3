"""Findings 6, 7 and 8: the dossier lookup's defence against guessing.

6. Wrong guesses count against the guesser's client (the channel's verifiable identity the bridge
   passes in the message metadata), not against the dossier: one client rotating sender ids is
   limited, and the owner, from their own client, still verifies. Many clients together only slow
   a code down for a short window, and never slow down a client that verified the code before.
7. Last four digits "0008" (which the entity extractor may tag as a dossier code) do not restart
   the form: the form's validation keeps the code already given. The same conversation on the
   real trained model is tests/e2e/test_flows.py::test_finding_7_last_four_digits_0008_verify.
8. Concurrent wrong guesses are counted exactly: check and count are one atomic step.

The service runs on a real SQLite file (one session per unit of work, as in the action server);
the local connector reads the synthetic demo dossiers (servicedesk/dossiers/demo_dossiers.yaml).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import actions.dossiers as dossier_actions
from core.settings import DossierSettings
from servicedesk.dossiers.connectors import LocalConnector, SessionScope, session_scope_for
from servicedesk.dossiers.hashing import client_hash
from servicedesk.dossiers.models import DossierLookupAttempt
from servicedesk.dossiers.seed import seed_demo_dossiers
from servicedesk.dossiers.service import DossierLookupService, LookupOutcome

ROOT = Path(__file__).resolve().parents[2]
PEPPER = "test-pepper"
PROCESSING = "000.00.01.DEMO-250714-0002"  # phone 0900000002
RETURNED = "000.00.01.DEMO-250710-0001"  # phone 0900000001
LAST_0008 = "000.00.01.DEMO-250804-0008"  # phone 0900000008
WRONG = "1111"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def settings() -> DossierSettings:
    return DossierSettings(pepper=PEPPER)  # type: ignore[arg-type]


@pytest.fixture
def scope(session: Session, settings: DossierSettings) -> SessionScope:
    seed_demo_dossiers(session, settings=settings)
    session.commit()
    return session_scope_for(sessionmaker(bind=session.get_bind(), expire_on_commit=False))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(settings: DossierSettings, scope: SessionScope, clock: Clock) -> DossierLookupService:
    return DossierLookupService(LocalConnector(settings, scope), settings=settings, session_scope=scope, clock=clock)


def failed_attempts(session: Session) -> int:
    session.expire_all()
    rows = session.scalars(select(DossierLookupAttempt).where(DossierLookupAttempt.failure_reason == "mismatch"))
    return len(list(rows))


# --- finding 6 -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_finding_6_rotating_sender_ids_from_one_client_cannot_lock_the_owner_out(
    service: DossierLookupService, settings: DossierSettings, session: Session
) -> None:
    # The probe: many wrong guesses, a fresh sender id each time, from one client.
    outcomes = [
        (await service.lookup(f"rotating-{i}", PROCESSING, f"{9000 + i}", client="attacker-ip", channel="web")).outcome
        for i in range(3 * settings.max_failed_per_code_client)
    ]
    counted = outcomes.count(LookupOutcome.NOT_FOUND_OR_UNVERIFIED)
    assert counted == settings.max_failed_per_code_client == failed_attempts(session)
    assert set(outcomes[counted:]) == {LookupOutcome.CODE_LOCKED}
    # The attacker is refused even with the right digits ...
    refused = await service.lookup("rotating-x", PROCESSING, "0002", client="attacker-ip", channel="web")
    assert refused.outcome is LookupOutcome.CODE_LOCKED and refused.report is None
    # ... while the owner, from their own connection, verifies at once.
    owner = await service.lookup("owner-chat", PROCESSING, "0002", client="owner-ip", channel="web")
    assert owner.ok and owner.report and owner.report.code == PROCESSING
    # A Zalo user id is another identity than a web address with the same value.
    assert (await service.lookup("zalo-1", PROCESSING, "0002", client="attacker-ip", channel="zalo")).ok


@pytest.mark.asyncio
async def test_finding_6_one_client_gets_a_bounded_number_of_guesses_per_day(
    service: DossierLookupService, settings: DossierSettings, clock: Clock
) -> None:
    codes = [f"000.00.01.DEMO-250714-{n:04d}" for n in range(100, 100 + settings.max_failed_per_client)]
    for i, code in enumerate(codes):  # one guess per code: the enumeration across codes
        result = await service.lookup(f"enum-{i}", code, WRONG, client="scanner", channel="web")
        assert result.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED, i
    # The client's daily budget is spent: nothing more today, whatever the code, sender or digits.
    limited = await service.lookup("enum-new", RETURNED, "0001", client="scanner", channel="web")
    assert limited.outcome is LookupOutcome.RATE_LIMITED and limited.report is None
    assert "0001" not in limited.message and "Đã trả kết quả" not in limited.message
    # Other citizens are not affected, and the scanner's budget comes back the next day.
    assert (await service.lookup("citizen", RETURNED, "0001", client="citizen-ip", channel="web")).ok
    clock.advance(days=1)
    assert (await service.lookup("enum-new", RETURNED, "0001", client="scanner", channel="web")).ok


@pytest.mark.asyncio
async def test_finding_6_many_clients_only_slow_a_code_down_and_never_its_verified_owner(
    service: DossierLookupService, settings: DossierSettings, clock: Clock
) -> None:
    assert (await service.lookup("owner-chat", PROCESSING, "0002", client="owner-ip", channel="web")).ok
    clock.advance(days=2)
    # A distributed guesser (a new address for every guess) reaches the per-code ceiling.
    for i in range(settings.max_failed_per_code):
        result = await service.lookup(f"bot-{i}", PROCESSING, f"{9000 + i}", client=f"bot-ip-{i}", channel="web")
        assert result.outcome is LookupOutcome.NOT_FOUND_OR_UNVERIFIED, i
    stranger = await service.lookup("bot-next", PROCESSING, "0002", client="bot-ip-next", channel="web")
    assert stranger.outcome is LookupOutcome.CODE_LOCKED and stranger.report is None
    assert stranger.retry_after_minutes is not None
    assert stranger.retry_after_minutes <= settings.code_window_minutes < 24 * 60
    # The owner, who verified this code before from this connection, is not slowed down ...
    assert (await service.lookup("owner-chat-2", PROCESSING, "0002", client="owner-ip", channel="web")).ok
    # ... and for everyone else it is a short slow-down, not a day-long lock.
    clock.advance(minutes=settings.code_window_minutes)
    assert (await service.lookup("new-owner-device", PROCESSING, "0002", client="other-ip", channel="web")).ok


# --- finding 8 -----------------------------------------------------------------------------------


def _concurrently(count: int, guess: Any) -> list[LookupOutcome]:
    """``count`` threads, released together, each running one lookup in its own event loop (and so
    its own database sessions)."""
    barrier = threading.Barrier(count)
    outcomes: list[LookupOutcome | BaseException] = [RuntimeError("not run")] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = asyncio.run(guess(i)).outcome
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors[:3]
    return outcomes  # type: ignore[return-value]


@pytest.mark.parametrize("count", [30, 60])
def test_finding_8_concurrent_wrong_guesses_from_many_senders_are_counted_exactly(
    count: int, settings: DossierSettings, scope: SessionScope, clock: Clock, session: Session
) -> None:
    settings = settings.model_copy(update={"max_failed_per_code": 10})
    service = DossierLookupService(LocalConnector(settings, scope), settings=settings, session_scope=scope, clock=clock)

    outcomes = _concurrently(count, lambda i: service.lookup(f"burst-{i}", PROCESSING, f"{1000 + i:04d}"))

    assert outcomes.count(LookupOutcome.NOT_FOUND_OR_UNVERIFIED) == 10
    assert outcomes.count(LookupOutcome.CODE_LOCKED) == count - 10
    assert failed_attempts(session) == 10


@pytest.mark.parametrize("count", [30, 60])
def test_finding_8_concurrent_wrong_guesses_from_one_client_are_counted_exactly(
    count: int, service: DossierLookupService, settings: DossierSettings, session: Session
) -> None:
    outcomes = _concurrently(
        count,
        lambda i: service.lookup(f"burst-{i}", PROCESSING, f"{1000 + i:04d}", client="one-ip", channel="web"),
    )
    allowed = settings.max_failed_per_code_client
    assert outcomes.count(LookupOutcome.NOT_FOUND_OR_UNVERIFIED) == allowed
    assert outcomes.count(LookupOutcome.CODE_LOCKED) == count - allowed
    assert failed_attempts(session) == allowed


# --- finding 7 -----------------------------------------------------------------------------------


def _user(text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text}, "metadata": metadata or {}}


def _slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def _action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


@pytest.mark.asyncio
async def test_finding_7_digits_0008_tagged_as_a_code_do_not_restart_the_form(
    service: DossierLookupService, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the validation action receives from Rasa when "0008" was tagged as a dossier_code
    entity while the last four digits were asked for (an old model, or the extractor's guess):
    both slots are candidates. The code given before stands and the digits verify."""
    monkeypatch.setattr(dossier_actions, "get_lookup_service", lambda: service)
    metadata = {"channel": "web", "client": "c0ffee-client-hash"}
    events = [
        _action("action_listen"),
        _user("tra cứu hồ sơ"),
        _action("dossier_form"),
        {"event": "active_loop", "name": "dossier_form"},
        _slot("requested_slot", "dossier_code"),
        _action("action_listen"),
        _user(LAST_0008),
        _action("action_extract_slots"),
        _slot("dossier_code", LAST_0008),
        _action("dossier_form"),
        _slot("dossier_code", LAST_0008),
        _slot("requested_slot", "phone_last4"),
        _action("action_listen"),
        _user("0008", metadata),
        _action("action_extract_slots"),
        _slot("dossier_code", "0008"),
        _slot("phone_last4", "0008"),
        _slot("requested_slot", "phone_last4"),
        _action("dossier_form"),
        _slot("dossier_code", "0008"),
        _slot("phone_last4", "0008"),
    ]
    tracker = Tracker(
        sender_id="citizen-0008",
        slots={"dossier_code": "0008", "phone_last4": "0008", "requested_slot": "phone_last4"},
        latest_message={
            "text": "0008",
            "intent": {"name": "inform"},
            "entities": [{"entity": "dossier_code", "value": "0008"}],
            "metadata": metadata,
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "dossier_form"},
        latest_action_name="dossier_form",
    )
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    dispatcher = CollectingDispatcher()

    result = await dossier_actions.ValidateDossierForm().run(dispatcher, tracker, domain)

    slots = {e["name"]: e["value"] for e in result if e.get("event") == "slot"}
    assert slots.get("dossier_code") == LAST_0008
    assert slots.get("phone_last4") == dossier_actions.VERIFIED
    texts = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert f"Hồ sơ {LAST_0008}" in texts and "định dạng" not in texts
    # The lookup was counted under the client the bridge identified, not the sender id.
    session.expire_all()
    attempt = session.scalars(select(DossierLookupAttempt)).one()
    assert attempt.success and attempt.client_hash is not None
    assert attempt.client_hash == client_hash("web", "c0ffee-client-hash", PEPPER.encode())


def test_finding_7_domain_takes_no_dossier_code_entity_while_the_digits_are_asked_for() -> None:
    """domain.yml: the dossier_code entity fills the slot before the form starts or while the code
    is asked for, never while phone_last4 is (Rasa 3.6 mapping conditions)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    mappings = domain["slots"]["dossier_code"]["mappings"]
    entity_mappings = [m for m in mappings if m["type"] == "from_entity"]
    assert entity_mappings
    for mapping in entity_mappings:
        conditions = mapping.get("conditions")
        assert conditions, "an unconditional from_entity mapping also fills while the digits are asked for"
        for condition in conditions:
            assert condition.get("active_loop") is None or condition.get("requested_slot") == "dossier_code"
