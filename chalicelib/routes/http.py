"""The HTTP plumbing every route shares, in one place.

``endpoint`` registers a Chalice route and records it for the OpenAPI document. Around the view it
authenticates the bearer key, parses and validates the body and query with pydantic models, replays
idempotent POSTs, shapes the response through the declared model, and turns every failure into RFC 9457
problem+json: domain errors by their status, anything unexpected into a 500 that is logged with the
request id and says nothing internal.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.adapters import ids
from chalicelib.domain import errors
from chalicelib.services import auth, idempotency
from chalicelib.settings import settings

log = logging.getLogger("nhacno.http")

PROBLEM_TYPE_BASE = "https://nhacno.vn/problems/"
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_JSON = "application/problem+json"


@dataclass
class RouteSpec:
    """What the OpenAPI document says about one route."""

    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    public: bool
    idempotent: bool
    admin: bool
    extra_statuses: tuple[int, ...] = ()
    auth: str = "key"
    html: bool = False  # a page for people: text/html for its answer and its own error pages


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """One request as a view sees it: who is calling and what they sent, already validated."""

    request: Request
    tenant_id: str = ""
    key_id: str = ""
    body: Any = None
    query: Any = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        return request_id(self.request)


def request_id(request: Request | None) -> str:
    """API Gateway's request id; else the Lambda's; else one made up here, so a 500 always names one."""
    if request is None:
        return ids.new_id("req")
    context = getattr(request, "context", None)
    if not isinstance(context, dict):
        context = {}
    if not context.get("requestId"):
        lambda_context = getattr(request, "lambda_context", None)
        context["requestId"] = getattr(lambda_context, "aws_request_id", None) or ids.new_id("req")
        with contextlib.suppress(AttributeError):
            request.context = context
    return str(context["requestId"])


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
    )


def problem(status: int, title: str, detail: str = "", *, slug: str = "", field_errors: list[Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or str(status)),
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if field_errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in field_errors]
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def problem_for(error: errors.NhacnoError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return problem(error.status, error.title, error.detail, slug=error.slug, field_errors=error.errors,
                   headers=headers)


def pydantic_errors(exc: ValidationError) -> errors.ValidationFailed:
    found = []
    for item in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in item.get("loc", ()) if part != "__root__") or "body"
        message = str(item.get("msg", "is invalid"))
        found.append(errors.FieldError(loc, message))
    detail = "; ".join(f"{e.field}: {e.message}" for e in found[:5])
    return errors.ValidationFailed(detail=detail, errors=found)


def _not_json(constant: str) -> Any:
    """Python's json accepts NaN and Infinity; JSON (RFC 8259) does not, and money must never be one."""
    raise ValueError(f"{constant} is not a JSON value")


def read_json(request: Request) -> Any:
    """The request body as JSON: 413 past the size limit, 400 when it is not UTF-8 JSON."""
    raw = request.raw_body or b""
    if len(raw) > settings.max_body_bytes:
        raise errors.PayloadTooLarge(detail=f"The body is {len(raw)} bytes; the limit is {settings.max_body_bytes}.")
    if not raw.strip():
        return None
    content_type = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise errors.UnsupportedMediaType(detail=f"Send application/json, not {content_type}.")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError:
        raise errors.BadRequest(detail="The body is not valid UTF-8.") from None
    except RecursionError:
        raise errors.BadRequest(detail="The JSON body is nested too deeply.") from None
    except ValueError as exc:
        raise errors.BadRequest(detail=f"The body is not valid JSON: {exc}.") from None


def validate(model: type[BaseModel], data: Any, *, where: str = "body") -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise errors.ValidationFailed(detail=f"The {where} must be a JSON object.",
                                      errors=[errors.FieldError(where, "must be an object")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise pydantic_errors(exc) from None
    except RecursionError:
        raise errors.BadRequest(detail="The JSON body is nested too deeply.") from None


def shape(model: type[BaseModel] | None, result: Any) -> Any:
    """Pass the result through its declared response model, so responses always match the spec."""
    if model is None or isinstance(result, Response):
        return result
    return model.model_validate(result).model_dump(mode="json", by_alias=True)


def authenticate(call: Call, *, admin: bool, mode: str = "key") -> None:
    """Resolve the caller's tenant from the bearer key; on ``key_or_signature`` routes a request with no
    ``Authorization`` header may instead carry a webhook signature of its raw body (services/auth.py)."""
    headers = call.request.headers
    header = headers.get("authorization") or ""
    if mode == "key_or_signature" and not header.strip() and (
            headers.get(auth.SIGNATURE_HEADER) or headers.get(auth.TENANT_HEADER)):
        call.tenant_id = auth.tenant_for_signature(headers.get(auth.TENANT_HEADER) or "", call.request.raw_body or b"",
                                                   headers.get(auth.SIGNATURE_HEADER) or "")
        return
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized(detail="Send your API key as 'Authorization: Bearer <key>'.")
    if admin:
        auth.check_admin_key(token.strip())
        call.tenant_id = "admin"
        return
    call.tenant_id, call.key_id = auth.tenant_for_key(token.strip())


def endpoint(bp: Blueprint, method: str, path: str, *, summary: str, tag: str,
             body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             response: type[BaseModel] | None = None, status: int = 200, public: bool = False,
             admin: bool = False, idempotent: bool = False, extra_statuses: tuple[int, ...] = (),
             auth: Literal["key", "key_or_signature"] = "key", html: bool = False,
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view(call, **path_params)`` as a route, with all the shared handling around it.

    ``auth="key_or_signature"`` also accepts a request signed with the tenant's webhook secret
    (``X-Nhacno-Signature`` + ``X-Nhacno-Tenant``) instead of a bearer key, for bank feeds.
    """
    auth_mode = auth

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append(RouteSpec(method, path, summary, tag, body, query, response, status, public,
                                idempotent, admin, extra_statuses, auth_mode, html))

        def handler(**params: str) -> Response:
            request = bp.current_request
            call = Call(request=request, params=params)
            try:
                if not public:
                    authenticate(call, admin=admin, mode=auth_mode)
                if query is not None:
                    call.query = validate(query, dict(request.query_params or {}), where="query")
                if body is not None:
                    call.body = validate(body, read_json(request))

                def run() -> Response:
                    result = shape(response, view(call, **params))
                    if isinstance(result, Response):
                        return result
                    if status == 204:
                        return Response(body="", status_code=204)
                    return json_response(result, status)

                key = (request.headers.get("idempotency-key") or "").strip()
                if idempotent and key:
                    return idempotency.replay(call.tenant_id, request, key, run)
                return run()
            except errors.NhacnoError as exc:
                return problem_for(exc)
            except Exception:
                log.exception("unhandled error", extra={"request_id": call.request_id, "path": path})
                return problem(500, "Internal Server Error",
                               f"Something went wrong on our side. Request id: {call.request_id}.")

        handler.__name__ = view.__name__
        handler.__doc__ = view.__doc__
        bp.route(path, methods=[method], cors=cors_config())(handler)
        return view

    return register


_cors: Any = None


def cors_config() -> Any:
    global _cors
    if _cors is None:
        from chalice import CORSConfig

        _cors = CORSConfig(
            allow_origin=settings.cors_origins[0] if settings.cors_origins else "*",
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Nhacno-Signature"],
            expose_headers=["Idempotency-Replayed"],
            max_age=600,
        )
    return _cors
