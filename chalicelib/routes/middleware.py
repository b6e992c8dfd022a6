"""HTTP middleware: Chalice's own error responses become problem+json; CORS echoes allowed origins."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.routes.http import PROBLEM_JSON, problem, request_id
from chalicelib.settings import settings

log = logging.getLogger("nhacno.http")

_TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           413: "Payload Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error"}


def problem_json(request: Request, get_response: Callable[[Request], Response]) -> Response:
    try:
        response = get_response(request)
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id(request)})
        response = problem(500, "Internal Server Error",
                           f"Something went wrong on our side. Request id: {request_id(request)}.")
    response = _as_problem(response)
    _cors(request, response)
    return response


def _as_problem(response: Response) -> Response:
    """Chalice answers 405/415/500 itself with ``{"Code", "Message"}``; give those our error shape."""
    if response.status_code < 400:
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
    # Our own problem+json, and the pay page's HTML error pages (a person reads those), pass as they are.
    if any(v == PROBLEM_JSON or v.startswith("text/html") for k, v in response.headers.items()
           if k.lower() == "content-type"):
        return response
    body: Any = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            body = {}
    message = body.get("Message") if isinstance(body, dict) else None
    status = response.status_code
    detail = message if status < 500 else "Something went wrong on our side."
    return problem(status, _TITLES.get(status, "Error"), detail or "", headers=headers)


def _cors(request: Request, response: Response) -> None:
    """Echo an allowed Origin; never name an origin the caller did not send.

    Chalice's CORSConfig holds one static origin (the first configured), which it puts on every
    response; for any other origin that header is dropped here, so only allowed origins are echoed.
    """
    if "*" in settings.cors_origins:
        return
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin and origin in settings.cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    else:
        for name in [name for name in response.headers if name.lower().startswith("access-control-")]:
            del response.headers[name]
