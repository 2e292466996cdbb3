"""Keyed hashes and masking: how the dossier domain avoids storing or logging personal data.

Every hash is HMAC-SHA256 keyed with the pepper (TTHC_DOSSIER_PEPPER), which lives in the
environment, not in the database: a copy of the database alone does not allow phone numbers to be
recovered by trying every number. Each hash also names its purpose, so a phone hash can never be
confused with, say, a sender hash of the same string.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from bot.gazetteer import DOSSIER_CODE_RE

_DIGITS_RE = re.compile(r"\D")


def _hmac(pepper: bytes, purpose: str, *parts: str) -> str:
    message = "\x00".join((purpose, *parts)).encode("utf-8")
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


# --- phone numbers -----------------------------------------------------------------------------


def normalise_phone(text: str) -> str | None:
    """Digits only, +84/84 turned into the leading 0; None unless it looks like a Vietnamese number.

    Mobile numbers have 10 digits, landlines (02x...) 11.
    """
    digits = _DIGITS_RE.sub("", text or "")
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.startswith("0") and len(digits) in (10, 11):
        return digits
    return None


def normalise_last4(text: str) -> str | None:
    """The four digits a citizen types to verify ("1234", "12 34"); a whole number is also accepted
    and only its last four digits are kept. None when it is neither."""
    digits = _DIGITS_RE.sub("", text or "")
    if len(digits) == 4:
        return digits
    phone = normalise_phone(text)
    return phone[-4:] if phone else None


def new_salt() -> str:
    return secrets.token_hex(16)


def phone_hash(phone: str, pepper: bytes) -> str:
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ValueError("not a Vietnamese phone number")
    return _hmac(pepper, "phone", normalised)


# Why a second hash of only the last four digits: the citizen proves they filed the dossier by
# typing the LAST FOUR digits of the phone they gave at the counter. After the dossier has been
# stored we never see the full number again, and a hash of the full number cannot be checked
# against four digits. So at import/seed time, while the number is at hand, we also store a hash
# of its last four digits. Four digits have only 10,000 values, so this hash is only as strong as
# the secrecy of the pepper; the per-dossier salt stops one table of 10,000 guesses serving every
# dossier, and hides which dossiers share the same last four digits. Guessing online is what the
# rate limits (per sender, client and code) in service.py are for.
def last4_hash(last4: str, salt: str, pepper: bytes) -> str:
    if not (len(last4) == 4 and last4.isdigit()):
        raise ValueError("expected exactly four digits")
    return _hmac(pepper, "phone-last4", salt, last4)


def phone_hashes(phone: str, pepper: bytes, salt: str | None = None) -> tuple[str, str, str]:
    """(phone hash, last-four hash, salt) for a phone number; the number itself is not kept."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ValueError("not a Vietnamese phone number")
    salt = salt or new_salt()
    return phone_hash(normalised, pepper), last4_hash(normalised[-4:], salt, pepper), salt


def verify_last4(candidate: str, salt: str | None, stored_hash: str | None, pepper: bytes) -> bool:
    """Constant-time check of four typed digits against the stored hash."""
    if not salt or not stored_hash:
        # Still spend the same work, so that timing does not tell records without a phone apart.
        hmac.compare_digest(_hmac(pepper, "phone-last4", "-", candidate), "0" * 64)
        return False
    return hmac.compare_digest(_hmac(pepper, "phone-last4", salt, candidate), stored_hash)


def burn_verification(candidate: str, pepper: bytes) -> None:
    """The work of one verification, spent when the code is unknown (timing reveals nothing)."""
    verify_last4(candidate, None, None, pepper)


# --- senders and codes (rate limiting) -------------------------------------------------------------


def keyed_sender_hash(sender_id: str, pepper: bytes) -> str:
    """The conversation id keyed with the deployment's pepper (HMAC-SHA256), for the lookup limits
    of the dossier domain: without the pepper nobody can tell which conversation a row counts.

    Not ``core.privacy.sender_hash`` (a plain, unkeyed pseudonym shared by the other tables and
    the logs); the two never meet."""
    return _hmac(pepper, "sender", sender_id)


def code_hash(code: str, pepper: bytes) -> str:
    return _hmac(pepper, "dossier-code", code.strip().upper())


def client_hash(channel: str, client: str, pepper: bytes) -> str:
    """The channel's verifiable identity of the citizen (already a hash made by the bridge), keyed
    again with our pepper and the channel's name, so that keys of two channels never meet."""
    return _hmac(pepper, "dossier-client", channel, client)


def pair_hash(first: str, second: str, pepper: bytes) -> str:
    """One key for a pair of hashes, e.g. (code, client)."""
    return _hmac(pepper, "pair", first, second)


# --- dossier codes -----------------------------------------------------------------------------


def normalise_code(text: str) -> str | None:
    """The dossier code in what the citizen typed (upper case), or None when there is none or
    several. Shape only: bot.gazetteer.DOSSIER_CODE_RE, shared with the entity extractor."""
    stripped = (text or "").strip()
    if DOSSIER_CODE_RE.fullmatch(stripped):
        return stripped.upper()
    found = {m.group(0).upper() for m in DOSSIER_CODE_RE.finditer(stripped)}
    return found.pop() if len(found) == 1 else None


# --- masking for logs ----------------------------------------------------------------------------


def mask_code(code: str) -> str:
    """000.00.01.H29-250710-0012 → 000.00.01.H29-2507**-****: the agency and month stay readable
    for debugging; the day and sequence, which identify the dossier, do not."""
    parts = (code or "").strip().rsplit("-", 2)
    if len(parts) != 3:
        return "*" * min(len(code or ""), 8) or "-"
    agency, date, sequence = parts
    return f"{agency}-{date[:4]}{'*' * (len(date) - 4)}-{'*' * len(sequence)}"


def mask_phone(phone: str) -> str:
    """0900000001 → 09******01."""
    digits = _DIGITS_RE.sub("", phone or "")
    if len(digits) < 6:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def short_hash(value: str) -> str:
    """The first characters of a hash, enough to correlate log lines."""
    return value[:10]
