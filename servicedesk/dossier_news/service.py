"""Dossier news: the rules of following a dossier and of recording each status change once.

A citizen who has just verified a dossier (actions/dossier_news.py, after the lookup of
actions/dossiers.py) may subscribe, after reading CONSENT_TEXT. The poller
(servicedesk/dossier_news/poller.py, run by api/dossiers/worker.py in every API worker) then

1. claims due subscriptions: a compare-and-swap on ``next_poll_at`` (moved to the end of a lease)
   that also sets a fresh ``claim_token`` — of N pollers on one database exactly one wins a row;
2. asks the connector (the one-stop system is the truth; a push only makes a row due now);
3. records what it found, only while it still holds the claim: a change becomes one DossierNews
   row and, for Zalo, its outbox row in the SAME transaction (nothing lost, nothing doubled); the
   unique constraint (subscription, status, status_at) is the last guard. Failures back off
   (interval·2^failures, capped); a final status ends the subscription.

These functions are synchronous (SQLAlchemy); the poller runs them in a thread. The functions a
caller uses inside its own unit of work (``subscribe``, ``unsubscribe``) only flush; the claim
and record functions commit, each being a unit of work of the poller.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.db import begin_writing, rows_changed, utcnow
from core.errors import InvalidError
from core.privacy import sender_hash
from core.settings import DossierSettings
from servicedesk.dossier_news.models import DossierNews, DossierSubscription
from servicedesk.dossiers.connectors import VN_TZ
from servicedesk.dossiers.hashing import mask_code, normalise_code, short_hash
from servicedesk.dossiers.models import DOSSIER_STATUS_LABELS, FINAL_STATUSES
from servicedesk.dossiers.service import SYNTHETIC_NOTE, format_date, format_datetime
from servicedesk.dossiers.views import DossierView
from servicedesk.zalo import outbox

logger = logging.getLogger(__name__)

CONSENT_VERSION = "2026-12-1"
CONSENT_TEXT = (
    "Em có thể nhắn báo anh/chị mỗi khi hồ sơ này đổi trạng thái (ví dụ khi cần bổ sung giấy tờ hoặc "
    "khi đã có kết quả). Để báo tin, em chỉ lưu mã hồ sơ và mã của cuộc trò chuyện này (trên Zalo hoặc "
    "trên trang web), không lưu số điện thoại hay thông tin nào khác. Em theo dõi đến khi hồ sơ có kết quả "
    "hoặc hết thời hạn theo dõi (em sẽ báo ngày cụ thể), rồi xóa các thông tin này. Anh/chị nhắn "
    "“hủy theo dõi” để dừng bất cứ lúc nào. Anh/chị có đồng ý nhận tin không ạ?"
)

WEB_PREFIX = "web-"
ZALO_PREFIX = "zalo-"
UNSUBSCRIBE_PAYLOAD = "/unsubscribe_dossier_news"
UNSUBSCRIBE_TITLE = "Hủy theo dõi"
# A poller that stopped mid-poll loses its claim after this; the row is then due again.
CLAIM_LEASE_SECONDS = 120.0
# One conversation follows at most this many dossiers at once (a family's few, not a bulk feed).
MAX_ACTIVE_PER_SENDER = 10
# Ended subscriptions (and their news) are deleted this long after they ended.
RETENTION_DAYS = 30
MAX_NOTE_CHARS = 300
SUBSCRIBE_LOCK = "dossier-news-subscribe"


class SubscriptionInvalid(InvalidError):
    """A subscription the rules refuse; ``message`` says why in Vietnamese."""


@dataclass(frozen=True)
class Subscribed:
    subscription: DossierSubscription
    created: bool  # False: the conversation already followed this dossier (renewed)


# --- subscribing ---------------------------------------------------------------------------------


def consent_text(settings: DossierSettings) -> str:
    """CONSENT_TEXT with the configured length of a subscription."""
    return CONSENT_TEXT.replace(
        "hết thời hạn theo dõi (em sẽ báo ngày cụ thể)", f"sau tối đa {settings.news_subscription_days} ngày"
    )


def channel_of(sender_id: str) -> tuple[str, str]:
    """(channel, recipient) of a conversation id: ("web", the id) or ("zalo", the Zalo user id)."""
    sender = (sender_id or "").strip()
    if sender.startswith(WEB_PREFIX) and len(sender) > len(WEB_PREFIX):
        return "web", sender
    if sender.startswith(ZALO_PREFIX) and len(sender) > len(ZALO_PREFIX):
        return "zalo", sender[len(ZALO_PREFIX) :]
    raise SubscriptionInvalid("Dạ, kênh trò chuyện này chưa nhận được tin hồ sơ; anh/chị dùng Zalo hoặc trang web ạ.")


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _active(*conditions: Any) -> Any:
    return select(DossierSubscription).where(DossierSubscription.ended_at.is_(None), *conditions)


def subscribe(
    session: Session,
    *,
    dossier_code: str,
    sender_id: str,
    status: str,
    status_at: dt.datetime | None,
    settings: DossierSettings,
    now: dt.datetime | None = None,
) -> Subscribed:
    """Follows a dossier the conversation has just verified (``status``/``status_at``: what the
    citizen was shown, so only later changes are news). Consent is given by the caller. A second
    subscription to the same dossier renews the first. Flushes; the caller commits."""
    now = now or utcnow()
    code = normalise_code(dossier_code)
    if code is None:
        raise SubscriptionInvalid("Dạ, mã hồ sơ chưa đúng định dạng nên em chưa theo dõi được ạ.")
    if status in FINAL_STATUSES:
        label = DOSSIER_STATUS_LABELS.get(status, status)
        raise SubscriptionInvalid(
            f"Dạ, hồ sơ này đã ở trạng thái “{label}”, không còn thay đổi nữa nên em không cần theo dõi ạ."
        )
    channel, recipient = channel_of(sender_id)
    hashed = sender_hash(sender_id.strip())
    begin_writing(session, lock=SUBSCRIBE_LOCK)  # two quick presses make one subscription
    existing = session.scalars(
        _active(DossierSubscription.recipient_hash == hashed, DossierSubscription.dossier_code == code)
    ).first()
    expires_at = now + dt.timedelta(days=settings.news_subscription_days)
    if existing is not None:
        existing.recipient = recipient
        existing.consent_version, existing.consented_at, existing.expires_at = CONSENT_VERSION, now, expires_at
        existing.last_status, existing.last_status_at = status, _naive_utc(status_at)
        session.flush()
        logger.info("dossier news: sender %s renewed %s", short_hash(hashed), mask_code(code))
        return Subscribed(existing, created=False)
    active = session.scalar(
        select(func.count())
        .select_from(DossierSubscription)
        .where(DossierSubscription.ended_at.is_(None), DossierSubscription.recipient_hash == hashed)
    )
    if (active or 0) >= MAX_ACTIVE_PER_SENDER:
        raise SubscriptionInvalid(
            f"Dạ, mỗi cuộc trò chuyện theo dõi được tối đa {MAX_ACTIVE_PER_SENDER} hồ sơ cùng lúc. "
            "Anh/chị nhắn “hủy theo dõi” để dừng các hồ sơ cũ rồi thử lại ạ."
        )
    subscription = DossierSubscription(
        dossier_code=code,
        channel=channel,
        recipient=recipient,
        recipient_hash=hashed,
        consent_version=CONSENT_VERSION,
        consented_at=now,
        created_at=now,
        expires_at=expires_at,
        last_status=status,
        last_status_at=_naive_utc(status_at),
        next_poll_at=now + dt.timedelta(seconds=settings.news_poll_seconds),
        failures=0,
    )
    session.add(subscription)
    session.flush()
    logger.info("dossier news: sender %s follows %s (%s)", short_hash(hashed), mask_code(code), channel)
    return Subscribed(subscription, created=True)


def _end_values(reason: str, now: dt.datetime) -> dict[str, Any]:
    # The address is no longer needed once nothing more will be sent.
    return {"ended_at": now, "end_reason": reason, "next_poll_at": None, "claim_token": None, "recipient": None}


def unsubscribe(
    session: Session, *, sender_id: str, dossier_code: str | None = None, now: dt.datetime | None = None
) -> int:
    """Stops the conversation's subscriptions (all of them, or the one to ``dossier_code``); the
    number stopped. Flushes; the caller commits."""
    now = now or utcnow()
    hashed = sender_hash((sender_id or "").strip())
    conditions = [DossierSubscription.ended_at.is_(None), DossierSubscription.recipient_hash == hashed]
    if dossier_code:
        code = normalise_code(dossier_code)
        if code is None:
            return 0
        conditions.append(DossierSubscription.dossier_code == code)
    stopped = rows_changed(
        session.execute(
            update(DossierSubscription)
            .where(*conditions)
            .values(**_end_values("unsubscribed", now))
            .execution_options(synchronize_session=False)
        )
    )
    session.flush()
    if stopped:
        logger.info("dossier news: sender %s stopped %d subscription(s)", short_hash(hashed), stopped)
    return stopped


def active_subscriptions(session: Session, sender_id: str) -> list[DossierSubscription]:
    """The conversation's subscriptions still running, oldest first."""
    hashed = sender_hash((sender_id or "").strip())
    return list(session.scalars(_active(DossierSubscription.recipient_hash == hashed).order_by(DossierSubscription.id)))


def subscribed_text(sub: DossierSubscription) -> str:
    """The confirmation after subscribing."""
    where = (
        "em sẽ nhắn tin báo anh/chị ngay trên Zalo"
        if sub.channel == "zalo"
        else "em sẽ báo trong khung chat này khi anh/chị mở lại trang"
    )
    until = format_date(_vn_date(sub.expires_at))
    return (
        f"Dạ, em đã ghi nhận. Khi hồ sơ {sub.dossier_code} đổi trạng thái, {where}. "
        f"Em theo dõi đến khi hồ sơ có kết quả hoặc đến hết ngày {until}. "
        "Anh/chị nhắn “hủy theo dõi” để dừng bất cứ lúc nào ạ."
    )


def unsubscribed_text(count: int) -> str:
    """The confirmation after ``unsubscribe`` stopped ``count`` subscriptions."""
    if count <= 0:
        return "Dạ, anh/chị hiện không theo dõi hồ sơ nào nên không có gì cần hủy ạ."
    which = "hồ sơ của anh/chị" if count == 1 else f"{count} hồ sơ anh/chị đang theo dõi"
    return (
        f"Dạ, em đã dừng gửi tin về {which}. Mã hồ sơ và mã cuộc trò chuyện được xóa hẳn "
        f"sau {RETENTION_DAYS} ngày ạ. Khi cần, anh/chị tra cứu hồ sơ và đăng ký nhận tin lại."
    )


def _vn_date(value: dt.datetime) -> dt.date:
    return value.replace(tzinfo=dt.UTC).astimezone(VN_TZ).date()


# --- polling: claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    id: int
    dossier_code: str
    claim_token: str
    lease_until: dt.datetime


def backoff_seconds(failures: int, settings: DossierSettings) -> float:
    """The wait after ``failures`` consecutive failed polls: interval·2^failures, capped."""
    if failures <= 0:
        return settings.news_poll_seconds
    return min(settings.news_backoff_max_seconds, settings.news_poll_seconds * 2.0 ** min(failures, 30))


def claim_due(
    session: Session, *, limit: int, now: dt.datetime | None = None, lease_seconds: float = CLAIM_LEASE_SECONDS
) -> list[Claim]:
    """Claims up to ``limit`` due subscriptions, most overdue first. Each is taken by an UPDATE that
    matches only while ``next_poll_at`` still holds the value read (compare-and-swap), so of several
    pollers exactly one gets it; the row is then not due until the lease ends. Commits."""
    now = now or utcnow()
    candidates = session.execute(
        select(DossierSubscription.id, DossierSubscription.dossier_code, DossierSubscription.next_poll_at)
        .where(DossierSubscription.ended_at.is_(None), DossierSubscription.next_poll_at <= now)
        .order_by(DossierSubscription.next_poll_at, DossierSubscription.id)
        .limit(limit)
    ).all()
    session.rollback()  # end the read: each claim below is its own short transaction
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    claims: list[Claim] = []
    for row_id, code, seen in candidates:
        token = uuid.uuid4().hex
        result = session.execute(
            update(DossierSubscription)
            .where(
                DossierSubscription.id == row_id,
                DossierSubscription.next_poll_at == seen,
                DossierSubscription.ended_at.is_(None),
            )
            .values(next_poll_at=lease_until, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if rows_changed(result) == 1:
            claims.append(Claim(row_id, code, token, lease_until))
    return claims


def expire_due(session: Session, now: dt.datetime | None = None) -> int:
    """Ends the subscriptions whose time is up (reason "expired"); their number. Commits.
    Reads first, so that an idle database sees no write (SQLite's one write lock)."""
    now = now or utcnow()
    due = (DossierSubscription.ended_at.is_(None), DossierSubscription.expires_at <= now)
    if session.scalar(select(DossierSubscription.id).where(*due).limit(1)) is None:
        session.rollback()
        return 0
    ended = rows_changed(
        session.execute(
            update(DossierSubscription)
            .where(*due)
            .values(**_end_values("expired", now))
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    if ended:
        logger.info("dossier news: %d subscription(s) expired", ended)
    return ended


def mark_due(session: Session, codes: Iterable[str], now: dt.datetime | None = None) -> int:
    """A push from the one-stop system: the subscriptions to these dossiers are due now (the
    connector stays the truth; the push is a hint). Their number. Commits."""
    now = now or utcnow()
    wanted = sorted({code.strip().upper() for code in codes if code and code.strip()})
    if not wanted:
        return 0
    marked = rows_changed(
        session.execute(
            update(DossierSubscription)
            .where(DossierSubscription.ended_at.is_(None), DossierSubscription.dossier_code.in_(wanted))
            .values(next_poll_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    return marked


# --- polling: recording what was found -----------------------------------------------------------


@dataclass(frozen=True)
class PollOutcome:
    kind: str  # "news" | "unchanged" | "failed" | "lost" (another poller holds the claim now)
    news_id: int | None = None
    zalo: bool = False  # an outbox row was added
    finished: bool = False  # the subscription ended (final status)


def _held(session: Session, claim: Claim) -> DossierSubscription | None:
    """The claimed row, locked (PostgreSQL) while this transaction records; None when the claim
    was lost (its lease ended and another poller took it, or the subscription ended)."""
    begin_writing(session)  # SQLite: the write lock now, so the check and the write are one step
    return session.scalars(
        select(DossierSubscription)
        .where(
            DossierSubscription.id == claim.id,
            DossierSubscription.claim_token == claim.claim_token,
            DossierSubscription.ended_at.is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _next_poll(sub: DossierSubscription, claim: Claim, seconds: float, now: dt.datetime) -> dt.datetime:
    # A push arrived while we polled (next_poll_at moved off our lease): poll again at once.
    if sub.next_poll_at != claim.lease_until:
        return now
    return now + dt.timedelta(seconds=seconds)


def status_point(view: DossierView) -> tuple[str, dt.datetime | None]:
    """The dossier's status and when it entered it (the latest history event of that status, naive
    UTC), or None when the history does not say."""
    for event in reversed(view.history):
        if event.status == view.status and event.raw_status == view.raw_status:
            return view.status, _naive_utc(event.at)
    return view.status, None


def _is_news(sub: DossierSubscription, status: str, at: dt.datetime | None) -> bool:
    if status != sub.last_status:
        return True
    # The same status entered again later (e.g. a second request for more papers).
    return at is not None and sub.last_status_at is not None and at > sub.last_status_at


_HINTS = {
    "supplement_required": (
        "Cơ quan giải quyết yêu cầu bổ sung hồ sơ: anh/chị liên hệ nơi tiếp nhận hồ sơ để biết cần bổ sung "
        "giấy tờ gì ạ."
    ),
    "approved": (
        "Hồ sơ đã có kết quả: anh/chị nhận kết quả theo hình thức đã đăng ký (trực tiếp tại nơi tiếp nhận, "
        "qua bưu chính hoặc trực tuyến) ạ."
    ),
    "rejected": "Lý do từ chối được ghi trong văn bản trả lời của cơ quan giải quyết ạ.",
    "overdue": "Anh/chị có thể liên hệ nơi tiếp nhận hồ sơ để hỏi ngày trả kết quả mới ạ.",
}


def news_text(view: DossierView, status_at: dt.datetime | None) -> str:
    """What the citizen reads about the change (Vietnamese, times in Vietnam time)."""
    lines: list[str] = []
    if view.is_synthetic:
        lines.append(SYNTHETIC_NOTE)
    name = f" ({view.procedure_name})" if view.procedure_name else ""
    when = f" lúc {format_datetime(status_at)}" if status_at else ""
    lines.append(f"Tin hồ sơ {view.code}{name}: hồ sơ đã chuyển sang trạng thái “{view.status_label}”{when}.")
    note = next((e.note for e in reversed(view.history) if e.status == view.status and e.note), None)
    if note:
        note = " ".join(note.split())
        lines.append(f"Ghi chú của cơ quan giải quyết: {note[:MAX_NOTE_CHARS]}")
    if view.status in _HINTS:
        lines.append(_HINTS[view.status])
    if view.status not in FINAL_STATUSES and view.appointment_date:
        lines.append(f"Ngày hẹn trả kết quả: {format_date(view.appointment_date)}.")
    if view.status in FINAL_STATUSES:
        lines.append("Hồ sơ đã hoàn tất nên em dừng theo dõi hồ sơ này ạ.")
    else:
        lines.append("Anh/chị nhắn “hủy theo dõi” nếu không muốn nhận tin về hồ sơ này nữa ạ.")
    return "\n".join(lines)


def zalo_message(text: str, *, final: bool) -> dict[str, Any]:
    """The OA message (the shape of api/channels/zalo/messages.py): the text, and while the
    dossier is followed a button that stops it."""
    if final:
        return {"text": text}
    button = {"title": UNSUBSCRIBE_TITLE, "type": "oa.query.show", "payload": UNSUBSCRIBE_PAYLOAD}
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": [button]}}}


def record_found(
    session: Session, claim: Claim, view: DossierView, settings: DossierSettings, now: dt.datetime | None = None
) -> PollOutcome:
    """Records the dossier as the connector returned it, if the claim still holds: a change becomes
    a news row (and, for Zalo, its outbox row) in this one transaction. Commits."""
    now = now or utcnow()
    try:
        sub = _held(session, claim)
        if sub is None:
            session.rollback()
            logger.info("dossier news: claim on %s lost; another poller records it", mask_code(claim.dossier_code))
            return PollOutcome("lost")
        status, at = status_point(view)
        final = status in FINAL_STATUSES
        outcome = PollOutcome("unchanged", finished=final)
        if _is_news(sub, status, at):
            outcome = _add_news(session, sub, view, status, at, final, now)
            sub.last_status, sub.last_status_at = status, at
        elif sub.last_status_at is None and at is not None:
            sub.last_status_at = at  # when the status the citizen was shown began: not news
        sub.failures = 0
        if final:
            for name, value in _end_values("finished", now).items():
                setattr(sub, name, value)
        else:
            sub.next_poll_at = _next_poll(sub, claim, settings.news_poll_seconds, now)
            sub.claim_token = None
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if outcome.kind == "news":
        logger.info(
            "dossier news: %s is now %s (subscription %d%s)",
            mask_code(claim.dossier_code),
            status,
            claim.id,
            ", finished" if final else "",
        )
    return outcome


def _add_news(
    session: Session,
    sub: DossierSubscription,
    view: DossierView,
    status: str,
    at: dt.datetime | None,
    final: bool,
    now: dt.datetime,
) -> PollOutcome:
    status_at = at or now  # the one-stop system gave no time: when we first saw it
    already = session.scalar(
        select(DossierNews.id).where(
            DossierNews.subscription_id == sub.id, DossierNews.status == status, DossierNews.status_at == status_at
        )
    )
    if already is not None:
        return PollOutcome("unchanged", finished=final)
    text = news_text(view, at)
    news = DossierNews(subscription_id=sub.id, status=status, status_at=status_at, text=text, created_at=now)
    zalo = sub.channel == "zalo" and bool(sub.recipient)
    if zalo:
        assert sub.recipient is not None
        outbox.enqueue(session, sub.recipient, sub.recipient_hash, [zalo_message(text, final=final)])
        news.delivered_at = now  # the outbox owns delivery from here (retries, order per citizen)
    session.add(news)
    session.flush()
    return PollOutcome("news", news_id=news.id, zalo=zalo, finished=final)


def record_failure(
    session: Session, claim: Claim, settings: DossierSettings, reason: str, now: dt.datetime | None = None
) -> PollOutcome:
    """The connector could not answer (or did not know the dossier): poll again after a growing,
    bounded wait. Commits."""
    now = now or utcnow()
    try:
        sub = _held(session, claim)
        if sub is None:
            session.rollback()
            return PollOutcome("lost")
        sub.failures = (sub.failures or 0) + 1
        wait = backoff_seconds(sub.failures, settings)
        sub.next_poll_at = _next_poll(sub, claim, wait, now)
        sub.claim_token = None
        failures = sub.failures
        session.commit()
    except BaseException:
        session.rollback()
        raise
    logger.warning(
        "dossier news: poll of %s failed (%s), failure %d, next in %.0fs",
        mask_code(claim.dossier_code),
        reason[:60],
        failures,
        wait,
    )
    return PollOutcome("failed")


# --- the web widget ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsItem:
    id: int
    text: str
    status: str
    at: dt.datetime  # naive UTC


def pending_web_news(session: Session, sender_id: str, *, limit: int = 20) -> list[NewsItem]:
    """News for a web conversation not yet acknowledged by its widget, oldest first."""
    hashed = sender_hash((sender_id or "").strip())
    rows = session.execute(
        select(DossierNews.id, DossierNews.text, DossierNews.status, DossierNews.status_at)
        .join(DossierSubscription, DossierSubscription.id == DossierNews.subscription_id)
        .where(
            DossierSubscription.recipient_hash == hashed,
            DossierSubscription.channel == "web",
            DossierNews.delivered_at.is_(None),
        )
        .order_by(DossierNews.id)
        .limit(limit)
    ).all()
    return [NewsItem(row.id, row.text, row.status, row.status_at) for row in rows]


def acknowledge(session: Session, sender_id: str, ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """The widget has shown these news: they are not offered again. Only the conversation's own
    news count; the number acknowledged now. Flushes; the caller commits."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return 0
    hashed = sender_hash((sender_id or "").strip())
    own = select(DossierSubscription.id).where(
        DossierSubscription.recipient_hash == hashed, DossierSubscription.channel == "web"
    )
    done = rows_changed(
        session.execute(
            update(DossierNews)
            .where(
                DossierNews.id.in_(wanted),
                DossierNews.delivered_at.is_(None),
                DossierNews.subscription_id.in_(own),
            )
            .values(delivered_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    session.flush()
    return done


# --- housekeeping --------------------------------------------------------------------------------


def prune(session: Session, now: dt.datetime | None = None, retention_days: int = RETENTION_DAYS) -> int:
    """Deletes subscriptions that ended more than ``retention_days`` ago, with their news. Commits."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    old = select(DossierSubscription.id).where(DossierSubscription.ended_at < cutoff)
    if session.scalar(old.limit(1)) is None:
        session.rollback()
        return 0
    # News first: SQLite enforces the foreign key but the cascade is not relied upon.
    session.execute(delete(DossierNews).where(DossierNews.subscription_id.in_(old)))
    removed = rows_changed(session.execute(delete(DossierSubscription).where(DossierSubscription.ended_at < cutoff)))
    session.commit()
    return removed
