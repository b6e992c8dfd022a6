"""The deployment's configuration, read from the environment once.

Everything that varies between stages (table names, region, endpoint, keys, origins) comes from here,
and only from here: PynamoDB fixes a model's host and region when the class is created, so this module
is imported before any model and nothing else reads ``os.environ``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _csv(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(part.strip() for part in _env(name, default).split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    stage: str = field(default_factory=lambda: _env("NHACNO_STAGE", "dev"))
    region: str = field(default_factory=lambda: _env("AWS_DEFAULT_REGION", "ap-southeast-1"))
    # Set for the local stack (moto server); empty means the real AWS endpoints.
    aws_endpoint: str = field(default_factory=lambda: _env("NHACNO_AWS_ENDPOINT"))
    table_prefix: str = field(default_factory=lambda: _env("NHACNO_TABLE_PREFIX", "nhacno-dev"))
    system_sender: str = field(default_factory=lambda: _env("NHACNO_SYSTEM_SENDER", "no-reply@nhacno.vn"))
    admin_key: str = field(default_factory=lambda: _env("NHACNO_ADMIN_KEY"))
    cors_origins: tuple[str, ...] = field(default_factory=lambda: _csv("NHACNO_CORS_ORIGINS", "*"))
    # The send queue: its URL when known (deployed), else its name, resolved once per process.
    send_queue_url: str = field(default_factory=lambda: _env("NHACNO_SEND_QUEUE_URL"))
    send_queue_name: str = field(default_factory=lambda: _env("NHACNO_SEND_QUEUE_NAME"))
    ses_configuration_set: str = field(default_factory=lambda: _env("NHACNO_SES_CONFIGURATION_SET"))
    ses_events_topic_name: str = field(default_factory=lambda: _env("NHACNO_SES_EVENTS_TOPIC"))
    schedule_minutes: int = field(default_factory=lambda: int(_env("NHACNO_SCHEDULE_MINUTES", "5")))
    public_base_url: str = field(default_factory=lambda: _env("NHACNO_PUBLIC_BASE_URL", "http://127.0.0.1:8000"))
    max_body_bytes: int = field(default_factory=lambda: int(_env("NHACNO_MAX_BODY_BYTES", "1048576")))
    key_cache_seconds: int = field(default_factory=lambda: int(_env("NHACNO_KEY_CACHE_SECONDS", "60")))
    max_send_attempts: int = field(default_factory=lambda: int(_env("NHACNO_MAX_SEND_ATTEMPTS", "5")))
    worker_timeout_seconds: int = field(default_factory=lambda: int(_env("NHACNO_WORKER_TIMEOUT_SECONDS", "60")))
    outbox_dir: str = field(default_factory=lambda: _env("NHACNO_OUTBOX_DIR"))
    # Signs list cursors so that a cursor from another list or tenant is refused. Defaults to a value
    # derived from the admin key so that every instance of one deployment agrees without extra setup.
    cursor_secret: str = field(default_factory=lambda: _env("NHACNO_CURSOR_SECRET"))
    # Signs the links of the public pay page (/pay/{token}). Changing it voids every link already emailed,
    # so it has its own setting rather than riding on the cursor secret; derived the same way by default.
    pay_link_secret: str = field(default_factory=lambda: _env("NHACNO_PAY_LINK_SECRET"))

    def table(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"

    @property
    def queue_name(self) -> str:
        return self.send_queue_name or f"{self.table_prefix}-send"

    @property
    def ses_events_topic(self) -> str:
        return self.ses_events_topic_name or f"{self.table_prefix}-ses-events"

    @property
    def cursor_key(self) -> bytes:
        seed = self.cursor_secret or f"nhacno-cursor:{self.admin_key}:{self.table_prefix}"
        return hashlib.sha256(seed.encode()).digest()

    @property
    def pay_link_key(self) -> bytes:
        seed = self.pay_link_secret or f"nhacno-pay-link:{self.admin_key}:{self.table_prefix}"
        return hashlib.sha256(seed.encode()).digest()


settings = Settings()
