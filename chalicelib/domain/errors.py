"""Meaningful failures the domain and services raise; the HTTP layer maps each to one status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class NhacnoError(Exception):
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)

    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __str__(self) -> str:
        return self.detail or self.title


class BadRequest(NhacnoError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(NhacnoError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class NotFound(NhacnoError):
    status, title, slug = 404, "Not Found", "not-found"


class MethodNotAllowed(NhacnoError):
    status, title, slug = 405, "Method Not Allowed", "method-not-allowed"


class Conflict(NhacnoError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(NhacnoError):
    status, title, slug = 413, "Payload Too Large", "payload-too-large"


class UnsupportedMediaType(NhacnoError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class ValidationFailed(NhacnoError):
    status, title, slug = 422, "Unprocessable Content", "validation"


class RateLimited(NhacnoError):
    status, title, slug = 429, "Too Many Requests", "rate-limited"


def invalid(field_name: str, message: str) -> ValidationFailed:
    """A 422 about one field, the most common refusal."""
    return ValidationFailed(detail=f"{field_name}: {message}", errors=[FieldError(field_name, message)])
