"""Reminder settings ("Thiết lập nhắc nợ"): the tenant's defaults and automatic reminder rules."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.bank_transactions import WebhookSecretOut
from chalicelib.domain.schemas.settings import SettingsOut, SettingsPatch
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import settings

bp = Blueprint(__name__)
TAG = "Settings"


@endpoint(bp, "GET", "/v1/settings", summary="The tenant's reminder settings, defaults filled in", tag=TAG,
          response=SettingsOut)
def get_settings(call: Call) -> dict[str, Any]:
    return settings.get_settings(call.tenant_id)


@endpoint(bp, "PATCH", "/v1/settings", summary="Change reminder settings (null puts a field back to its default)",
          tag=TAG, body=SettingsPatch, response=SettingsOut, extra_statuses=(409,))
def update_settings(call: Call) -> dict[str, Any]:
    return settings.update_settings(call.tenant_id, call.body)


@endpoint(bp, "GET", "/v1/settings/webhook-secret",
          summary="The secret bank feeds sign POST /v1/bank-transactions with (made on first read)", tag=TAG,
          response=WebhookSecretOut)
def get_webhook_secret(call: Call) -> dict[str, Any]:
    return settings.webhook_secret(call.tenant_id)


@endpoint(bp, "POST", "/v1/settings/webhook-secret",
          summary="Rotate the webhook secret; the old one stops working at once", tag=TAG, response=WebhookSecretOut)
def rotate_webhook_secret(call: Call) -> dict[str, Any]:
    return settings.rotate_webhook_secret(call.tenant_id)
