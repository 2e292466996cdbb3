"""knowledge/procedures/resolution.py: the one decision behind the procedure and fallback actions."""

from __future__ import annotations

from core.db import session_scope
from knowledge.procedures.resolution import CONFIDENT_SCORE, OFFER_SCORE, Reason, resolve_procedure


def test_each_outcome_and_its_reason() -> None:
    with session_scope() as session:
        named = resolve_procedure(session, "khai sinh", codes=["9.999999", "1.000894"])
        assert (named.reason, named.procedure and named.procedure.code) == (Reason.NAMED, "1.000894")

        confident = resolve_procedure(session, "đăng ký khai sinh cho con", current_code="1.004194")
        assert (confident.reason, confident.procedure and confident.procedure.code) == (Reason.CONFIDENT, "1.001193")
        assert confident.offers[0].score >= CONFIDENT_SCORE and not confident.needs_choice

        ambiguous = resolve_procedure(session, "khai sinh")
        assert ambiguous.reason is Reason.AMBIGUOUS and ambiguous.needs_choice
        assert 2 <= len(ambiguous.choices) <= 3 and ambiguous.choices[0].code == "1.001193"

        follow_up = resolve_procedure(session, "còn lệ phí thì sao?", current_code="1.004194")
        assert (follow_up.reason, follow_up.procedure and follow_up.procedure.code) == (Reason.FOLLOW_UP, "1.004194")

        nothing = resolve_procedure(session, "xyzzy qwerty", current_code="9.999999")
        assert (nothing.reason, nothing.procedure, nothing.choices, nothing.offers) == (Reason.NO_MATCH, None, (), ())
        assert resolve_procedure(session, "   ").reason is Reason.NO_MATCH


def test_offers_keep_only_matches_worth_a_button() -> None:
    with session_scope() as session:
        resolution = resolve_procedure(session, "khai sinh cho con")
    assert resolution.offers and all(h.score >= OFFER_SCORE for h in resolution.offers)
