"""The public pay page ("Thanh toán ngay") a reminder email links to: what is owed now and how to pay it.

The link's token (services/pay_links.py) names a reminder. The page re-reads that reminder's invoices,
so it shows what is still owed *now*, not what the email said: the VietQR carries that amount and the
reminder's transfer memo, next to the bank details. Once nothing is owed it says "paid" and shows no
code; 90 days after the reminder was made the link has expired (410 with a friendly page), so old
emails stop leading to live payment details. A token Nhacno did not sign, or one for a reminder that
is gone, gets a 404 page that says nothing about which part was wrong.

The page is rendered from ``templates/pay/`` (loaded like the built-in email templates: the repository's
top level, or ``chalicelib/templates`` in the Lambda package) by Jinja2 with autoescape on: every
company and customer value is escaped. It is in Vietnamese unless the customer's locale is English.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters import clock
from chalicelib.domain import rendering, vietqr
from chalicelib.services import invoices, pay_links, tenants, vietqr_codes
from chalicelib.services import reminder_settings as defaults
from chalicelib.services.templates import template_roots
from chalicelib.store.customers import Customer
from chalicelib.store.reminders import Reminder
from chalicelib.store.tenants import Tenant

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Thanh toán", "owed": "Số tiền cần thanh toán", "invoices": "Hóa đơn",
        "number": "Số hóa đơn", "due": "Hạn thanh toán", "outstanding": "Còn phải trả",
        "scan": "Quét mã VietQR bằng ứng dụng ngân hàng để chuyển đúng số tiền và nội dung.",
        "or_transfer": "Hoặc chuyển khoản theo thông tin sau:", "bank": "Ngân hàng", "account_number": "Số tài khoản",
        "account_name": "Chủ tài khoản", "amount": "Số tiền", "memo": "Nội dung chuyển khoản",
        "memo_hint": "Vui lòng ghi đúng nội dung chuyển khoản để chúng tôi đối soát nhanh chóng.",
        "no_bank": "Vui lòng liên hệ chúng tôi để nhận thông tin chuyển khoản.",
        "copy_button": "Sao chép", "copied_button": "Đã sao chép",
        "for_customer": "Khách hàng", "paid_title": "Đã thanh toán",
        "paid": "Các hóa đơn này đã được thanh toán đầy đủ. Xin cảm ơn Quý khách!",
        "expired_title": "Liên kết đã hết hạn",
        "expired": "Liên kết thanh toán này đã hết hạn. Vui lòng liên hệ {company} để nhận thông tin mới.",
        "missing_title": "Không tìm thấy trang",
        "missing": "Liên kết thanh toán không đúng hoặc không còn hiệu lực.",
        "contact": "Liên hệ", "qr_alt": "Mã VietQR chuyển khoản",
    },
    "en": {
        "title": "Payment", "owed": "Amount to pay", "invoices": "Invoices",
        "number": "Invoice no.", "due": "Due date", "outstanding": "Outstanding",
        "scan": "Scan this VietQR code with your banking app to transfer the exact amount and reference.",
        "or_transfer": "Or transfer to this account:", "bank": "Bank", "account_number": "Account number",
        "account_name": "Account name", "amount": "Amount", "memo": "Transfer reference",
        "memo_hint": "Please quote the transfer reference exactly so we can match your payment promptly.",
        "no_bank": "Please contact us for the transfer details.",
        "copy_button": "Copy", "copied_button": "Copied",
        "for_customer": "Customer", "paid_title": "Paid",
        "paid": "These invoices have been paid in full. Thank you!",
        "expired_title": "This link has expired",
        "expired": "This payment link has expired. Please contact {company} for up-to-date details.",
        "missing_title": "Page not found",
        "missing": "This payment link is not valid or no longer available.",
        "contact": "Contact", "qr_alt": "VietQR code for the transfer",
    },
}


@dataclass
class PayPage:
    """A rendered page: its HTTP status, its html, and the nonce its inline script and style carry."""

    status: int
    html: str
    nonce: str = field(default="")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    for root in template_roots():
        if (root / "pay").is_dir():
            env = Environment(loader=FileSystemLoader(str(root / "pay")), autoescape=True,
                              undefined=StrictUndefined, auto_reload=False, trim_blocks=True, lstrip_blocks=True)
            return env
    raise FileNotFoundError(f"pay page templates not found under any of {[str(r) for r in template_roots()]}")


def _render(name: str, status: int, locale: str, values: dict[str, Any]) -> PayPage:
    locale = locale if locale in LABELS else "vi"
    nonce = secrets.token_urlsafe(16)
    template = _environment().get_template(name)
    html = template.render(
        t=LABELS[locale], locale=locale, nonce=nonce, money=rendering.money_filter(locale),
        date=lambda value: rendering.format_date(value, locale), **values)
    return PayPage(status=status, html=html, nonce=nonce)


def not_found() -> PayPage:
    return _render("missing.html", 404, "vi", {})


def page(token: str) -> PayPage:
    """The page for a pay link token: 200 (owed or paid), 410 (expired) or 404 (unknown)."""
    link = pay_links.read(token)
    if link is None:
        return not_found()
    try:
        reminder = Reminder.get(link.tenant_id, link.reminder_id)
        tenant = Tenant.get(link.tenant_id)
    except DoesNotExist:
        return not_found()
    if reminder.kind != "email":
        return not_found()
    try:
        customer: Customer | None = Customer.get(link.tenant_id, reminder.customer_id)
    except DoesNotExist:
        customer = None
    locale = (customer.locale if customer else None) or tenant.locale or "vi"
    company = {"name": defaults.company_name(tenant), "reply_to": tenant.reply_to}
    if clock.now() >= clock.parse(reminder.created_at) + pay_links.VALID_FOR:
        return _render("expired.html", 410, locale, {"company": company})
    today = clock.today(tenants.timezone_of(tenant))
    return _render("page.html", 200, locale, _owed(link.tenant_id, reminder, customer, company, today))


def _owed(tenant_id: str, reminder: Reminder, customer: Customer | None, company: dict[str, Any],
          today: date) -> dict[str, Any]:
    """What the page shows: the reminder's invoices as they are now, their outstanding sum and the code."""
    wanted = list(reminder.invoice_ids or (customer.open_invoice_ids if customer else None) or [])
    found = invoices.get_many(tenant_id, wanted) if wanted else {}
    rows = [invoices.invoice_view(found[i], today) for i in wanted
            if i in found and found[i].customer_id == reminder.customer_id]
    rows.sort(key=lambda row: (str(row["due_date"]), str(row["number"])))
    owed = sum(int(row["outstanding"]) for row in rows)
    account = defaults.bank_account(tenant_id, reminder.bank_account_id, required=False)
    if account is None:  # the reminder's account was deleted since: today's default is where to pay
        account = defaults.bank_account(tenant_id, tenants.get(tenant_id).default_bank_account_id, required=False)
    memo = vietqr.clean_memo(reminder.payment_memo) or None
    qr = vietqr_codes.payload_for(account, owed, memo) if owed > 0 else None
    return {
        "company": company, "customer_name": customer.name if customer else "",
        "invoices": [row for row in rows if int(row["outstanding"]) > 0] if owed > 0 else rows,
        "owed": owed, "paid": owed <= 0, "bank_account": account, "memo": memo,
        "qr_src": vietqr.data_uri(qr) if qr else None,
    }
