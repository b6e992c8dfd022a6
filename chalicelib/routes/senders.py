"""Sender addresses, verified through SES; the deployment's system sender is always listed first."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint

from chalicelib.domain.schemas.common import ListQuery, Page
from chalicelib.domain.schemas.settings import SenderIn, SenderOut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import senders
from chalicelib.services.templates import head_then_query

bp = Blueprint(__name__)
TAG = "Senders"


def _email(raw: str) -> str:
    # API Gateway hands path parameters over still percent-encoded ("ketoan%40example.vn").
    return unquote(raw)


@endpoint(bp, "GET", "/v1/senders", summary="Sender addresses with their SES verification status", tag=TAG,
          query=ListQuery, response=Page[SenderOut])
def list_senders(call: Call) -> dict[str, Any]:
    def page(start: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
        found, cursor = senders.list_page(call.tenant_id, start, size)
        return senders.views(found), cursor

    items, cursor = head_then_query([senders.system_view()], page, list_name="senders", tenant_id=call.tenant_id,
                                    cursor=call.query.cursor, limit=call.query.limit)
    return {"items": items, "next_cursor": cursor}


@endpoint(bp, "POST", "/v1/senders", summary="Add a sender address and start its SES verification", tag=TAG,
          body=SenderIn, response=SenderOut, status=201, idempotent=True, extra_statuses=(409,))
def add_sender(call: Call) -> dict[str, Any]:
    return senders.add_sender(call.tenant_id, call.body.email)


@endpoint(bp, "GET", "/v1/senders/{email}", summary="One sender address and its status", tag=TAG,
          response=SenderOut)
def get_sender(call: Call, email: str) -> dict[str, Any]:
    return senders.get_sender(call.tenant_id, _email(email))


@endpoint(bp, "POST", "/v1/senders/{email}/verification", summary="Send the SES verification email again",
          tag=TAG, response=SenderOut, status=202, extra_statuses=(409,))
def restart_verification(call: Call, email: str) -> dict[str, Any]:
    return senders.restart_verification(call.tenant_id, _email(email))


@endpoint(bp, "DELETE", "/v1/senders/{email}", summary="Remove a sender (not the system sender, not the default)",
          tag=TAG, status=204, extra_statuses=(409,))
def delete_sender(call: Call, email: str) -> None:
    senders.remove_sender(call.tenant_id, _email(email))
