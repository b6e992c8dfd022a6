"""Email out through SES: builds the MIME message and sends it raw; keeps a local outbox copy.

The From header shows the company name with the sender address; Reply-To comes from settings. On the
local stage every email SES accepted is also written as an ``.eml`` file to the outbox folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from chalicelib.adapters import aws
from chalicelib.settings import settings

RETRYABLE_CODES = {
    "Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable",
    "ServiceUnavailableException", "InternalFailure", "InternalServerError", "RequestTimeout",
    "RequestTimeoutException", "LimitExceededException",
}


@dataclass
class InlineImage:
    cid: str
    data: bytes
    subtype: str = "png"


@dataclass
class Email:
    sender: str
    sender_name: str
    to: list[str]
    subject: str
    html: str
    text: str
    reply_to: str | None = None
    reference: str = ""
    images: list[InlineImage] = field(default_factory=list)
    # SES message tags: they come back on delivery, bounce and complaint events.
    tags: dict[str, str] = field(default_factory=dict)


class SendFailed(Exception):
    """SES did not take the email (``retryable`` says whether trying later may work), or we cannot
    know whether it did (``unknown``: the request went out and no answer came back)."""

    def __init__(self, message: str, *, retryable: bool = False, unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unknown = unknown


def build_mime(email: Email) -> bytes:
    message = EmailMessage()
    message["From"] = formataddr((email.sender_name, email.sender), charset="utf-8")
    message["To"] = ", ".join(email.to)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=Address(addr_spec=email.sender).domain)
    if email.reference:
        message["X-Nhacno-Reminder"] = email.reference
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.images:
        html_part = message.get_payload()[1]
        for image in email.images:
            html_part.add_related(image.data, maintype="image", subtype=image.subtype, cid=f"<{image.cid}>",
                                  disposition="inline", filename=f"{image.cid}.{image.subtype}")
    return message.as_bytes()


def send(email: Email) -> str:
    """Send through SES; returns SES's message id or raises SendFailed (retryable or not)."""
    raw = build_mime(email)
    kwargs: dict[str, Any] = {"Source": email.sender, "Destinations": email.to, "RawMessage": {"Data": raw}}
    if email.tags:
        kwargs["Tags"] = [{"Name": name, "Value": value} for name, value in email.tags.items()]
    if settings.ses_configuration_set:
        kwargs["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        message_id = aws.client("ses").send_raw_email(**kwargs)["MessageId"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        raise SendFailed(f"{code}: {message}", retryable=code in RETRYABLE_CODES) from exc
    except (EndpointConnectionError, ConnectTimeoutError) as exc:  # never reached SES: safe to retry
        raise SendFailed(str(exc), retryable=True) from exc
    except BotoCoreError as exc:  # the request may have reached SES: never guess, never resend
        raise SendFailed(str(exc), unknown=True) from exc
    if settings.outbox_dir:
        outbox = Path(settings.outbox_dir)
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{email.reference or message_id}.eml").write_bytes(raw)
    return message_id
