"""The local stage's outbox: every email SES accepted, as written to ``.local/outbox/`` (local only).

Registered by app.py only when the stage is ``local``; it never exists in a deployed API.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Output
from chalicelib.routes.http import Call, endpoint
from chalicelib.settings import settings

bp = Blueprint(__name__)


class OutboxEmail(Output):
    file: str
    reminder_id: str | None
    sender: str | None
    to: str | None
    subject: str | None
    date: str | None
    size: int


class Outbox(Output):
    items: list[OutboxEmail]


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        headers = BytesParser(policy=policy.default).parse(handle, headersonly=True)
    return {"file": str(path), "reminder_id": headers.get("X-Nhacno-Reminder"), "sender": headers.get("From"),
            "to": headers.get("To"), "subject": headers.get("Subject"), "date": headers.get("Date"),
            "size": path.stat().st_size}


@endpoint(bp, "GET", "/local/outbox", summary="Emails SES accepted on the local stack (local stage only)",
          tag="Local", response=Outbox, public=True)
def local_outbox(call: Call) -> dict[str, Any]:
    folder = Path(settings.outbox_dir) if settings.outbox_dir else None
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) if folder and folder.is_dir() \
        else []
    return {"items": [_read(path) for path in files[:200]]}


