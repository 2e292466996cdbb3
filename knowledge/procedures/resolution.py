"""Which procedure a citizen's message means: one procedure, a few to choose from, or none.

The one decision behind every procedure answer of the assistant (``actions/procedures.py``) and
behind the choices it offers when it did not understand (``actions/fallback.py``), with one set
of thresholds. The callers pass plain values (the codes of a pressed button, the words to search,
the procedure the conversation is already about); reading them out of a Rasa tracker is the
actions' job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.procedures.search import ProcedureSearch, SearchHit, procedure_search

# The thresholds are on ProcedureSearch scores (BM25 plus phrase and coverage credits, so they
# grow with what the question says of a name). They were set by hand in the first versions
# (CONFIDENT_SCORE and AMBIGUITY_RATIO in the procedure action, commit 7d3114a; OFFER_SCORE in the
# fallback action, commit 016a38c) and are kept as they were; what they do was measured on
# 2026-12-06 over the seed (48 procedures) with the labelled questions of
# tests/data/search_questions.yml whose answer the seed holds (205) and the NLU examples of the
# non-procedure intents (data/nlu/*.yml):
# - every right best match scores at least 13.2 (median 48), so CONFIDENT_SCORE rejects none;
#   below it are mostly greetings, thanks and small talk that brush against a word of a name;
# - AMBIGUITY_RATIO offers choices for 13 of the 205 questions, the right procedure among them
#   each time; of the 192 answered directly 191 are right;
# - under OFFER_SCORE are only the two priors (reviewed, commune level) and a stray common word:
#   8 of about 1,800 non-procedure examples, nothing worth a button.

# At or above this score the words name a procedure (a phrase of a name or alias scores more).
CONFIDENT_SCORE = 6.0
# A runner-up this close to the best confident match makes the question ambiguous: offer choices.
AMBIGUITY_RATIO = 0.8
# A weaker match is still worth offering as a choice: the citizen decides.
OFFER_SCORE = 3.0
# Choices offered at most (buttons a phone screen shows without scrolling).
MAX_CHOICES = 3


class Reason(enum.StrEnum):
    """Why the resolution came out as it did."""

    NAMED = "named"  # a procedure code given with the message (a pressed button)
    CONFIDENT = "confident"  # one clear best match of the words
    AMBIGUOUS = "ambiguous"  # several confident matches close to each other
    FOLLOW_UP = "follow_up"  # the words name no procedure: the conversation's procedure stands
    WEAK = "weak"  # only matches too weak to answer with, worth offering
    NO_MATCH = "no_match"  # nothing to answer or offer


@dataclass(frozen=True)
class Resolution:
    """``procedure`` when the message means one; else ``choices`` (best first), possibly none.

    ``offers`` are the matches worth a button whatever the outcome (the fallback lets the citizen
    choose even when one match stands out)."""

    reason: Reason
    procedure: Procedure | None = None
    choices: tuple[SearchHit, ...] = ()
    offers: tuple[SearchHit, ...] = ()

    @property
    def needs_choice(self) -> bool:
        return self.procedure is None and bool(self.choices)


def resolve_procedure(
    session: Session,
    text: str,
    *,
    codes: Iterable[str] = (),
    current_code: str | None = None,
    search: ProcedureSearch = procedure_search,
) -> Resolution:
    """The procedure meant by ``text``: a code of ``codes`` that exists, else a confident match of
    the words (or choices when several are close), else ``current_code`` (a follow-up such as
    "còn lệ phí thì sao?" names no procedure), else the weak matches worth offering."""
    for code in codes:
        found = procedures.get_by_code(session, code)
        if found is not None:
            return Resolution(Reason.NAMED, procedure=found)
    hits = search.search(session, text, limit=MAX_CHOICES) if text.strip() else []
    offers = tuple(h for h in hits if h.score >= OFFER_SCORE)
    if hits and hits[0].score >= CONFIDENT_SCORE:
        close = tuple(h for h in hits if h.score >= hits[0].score * AMBIGUITY_RATIO)
        if len(close) > 1:
            return Resolution(Reason.AMBIGUOUS, choices=close, offers=offers)
        best = procedures.get_by_code(session, hits[0].code)
        if best is None:  # unpublished since the index was built
            return Resolution(Reason.NO_MATCH, offers=offers)
        return Resolution(Reason.CONFIDENT, procedure=best, offers=offers)
    if current_code:
        current = procedures.get_by_code(session, current_code)
        if current is not None:
            return Resolution(Reason.FOLLOW_UP, procedure=current, offers=offers)
    if offers:
        return Resolution(Reason.WEAK, choices=offers, offers=offers)
    return Resolution(Reason.NO_MATCH)
