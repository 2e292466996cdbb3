"""Pseudonymous identifiers for storage and logs (conversation ids may be Zalo user ids)."""

from __future__ import annotations

import hashlib


def sender_hash(sender_id: str) -> str:
    return hashlib.sha256(f"tthc-sender:{sender_id}".encode()).hexdigest()[:32]
