"""The one id generator. ULIDs sort by creation time, so newest-first lists need no extra index."""

from __future__ import annotations

import secrets

from ulid import ULID


def new_id(prefix: str) -> str:
    """An opaque id such as ``cus_01jf0...``; the prefix tells a reader what the id names."""
    return f"{prefix}_{str(ULID()).lower()}"


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
