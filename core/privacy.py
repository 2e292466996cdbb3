"""Pseudonymous identifiers for storage and logs (conversation ids may be Zalo user ids)."""

from __future__ import annotations

import hashlib
import hmac


def sender_hash(sender_id: str) -> str:
    """A plain (unkeyed) pseudonym of a conversation id: the same everywhere it is stored or logged
    (conversation turns, feedback, ratings, Zalo events), so rows of one conversation join without
    keeping the id itself. Not secret: it hides the id from a casual reader, not from someone who
    can guess it. The dossier limits use ``servicedesk.dossiers.hashing.keyed_sender_hash``
    (keyed with the pepper) instead."""
    return hashlib.sha256(f"tthc-sender:{sender_id}".encode()).hexdigest()[:32]


def client_key(channel: str, identity: str, pepper: bytes) -> str:
    """A stable, non-reversible key for whoever is behind a message (the web client's address, the
    Zalo user id), for limits that must follow the client rather than the conversation id.

    Keyed with the deployment's pepper (TTHC_DOSSIER_PEPPER) like the dossier hashes
    (servicedesk/dossiers/hashing.py: HMAC-SHA256 over a purpose and the parts): an address has too
    few possible values for a plain hash to hide it.
    """
    message = "\x00".join(("client", channel, identity)).encode("utf-8")
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()[:32]
