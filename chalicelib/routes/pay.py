"""The public pay page ``GET /pay/{token}``: HTML for a customer's phone, no API key (the token is the key).

Answers are pages, never JSON, because a person follows this link from an email: 200 with what is owed
(or "paid"), 410 when the link has expired, 404 for a token Nhacno did not sign.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.routes.http import Call, endpoint
from chalicelib.services import pay_page

bp = Blueprint(__name__)
HTML_TYPE = "text/html; charset=utf-8"


def html_response(page: pay_page.PayPage) -> Response:
    """The page with headers that keep it private and self-contained: no caching (what is owed changes),
    no referrer (the token is in the URL), and a CSP that allows only this response's own inline style,
    script (by nonce) and data: images."""
    csp = (f"default-src 'none'; img-src data:; style-src 'nonce-{page.nonce}'; script-src 'nonce-{page.nonce}'; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return Response(body=page.html, status_code=page.status, headers={
        "Content-Type": HTML_TYPE, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff", "X-Robots-Tag": "noindex, nofollow", "Content-Security-Policy": csp})


@endpoint(bp, "GET", "/pay/{token}", summary="Pay page (Thanh toán ngay): HTML for a reminder's pay link",
          tag="Pay page", public=True, html=True, extra_statuses=(410,))
def pay(call: Call, token: str) -> Response:
    return html_response(pay_page.page(token))
