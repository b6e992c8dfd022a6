"""The reminder as short plain text for SMS or Zalo ("Sao chép thông tin nhắc nợ").

No html and no template: what a person pastes into a chat must be short and always carry the same
facts as the email — who is asking, how much, which invoices, and how to pay (bank, account number,
account name, transfer memo).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.money import format_money

LABELS = {
    "vi": {
        "greeting": "Kính gửi {name},",
        "intro": "{company} xin nhắc Quý khách thanh toán {amount} cho {count} hóa đơn:",
        "invoice": "- {number}: {outstanding}, hạn {due}{late}",
        "late": " (quá hạn {days} ngày)",
        "bank": "Chuyển khoản: {bank} - STK {number} - {holder}",
        "memo": "Nội dung CK: {memo}",
        "thanks": "Xin cảm ơn Quý khách!",
    },
    "en": {
        "greeting": "Dear {name},",
        "intro": "{company} kindly reminds you to pay {amount} for {count} invoice(s):",
        "invoice": "- {number}: {outstanding}, due {due}{late}",
        "late": " ({days} days overdue)",
        "bank": "Bank transfer: {bank} - account {number} - {holder}",
        "memo": "Transfer memo: {memo}",
        "thanks": "Thank you!",
    },
}


def _date(value: str, locale: str) -> str:
    if locale == "vi" and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}"
    return value


def chat_text(context: dict[str, Any], *, locale: str = "vi") -> str:
    labels = LABELS.get(locale, LABELS["vi"])
    lines = [
        labels["greeting"].format(name=context["customer"]["name"]),
        labels["intro"].format(company=context["company"]["name"], amount=format_money(context["amount"], locale),
                               count=len(context["invoices"])),
    ]
    for invoice in context["invoices"]:
        late = labels["late"].format(days=invoice["days_overdue"]) if invoice["days_overdue"] > 0 else ""
        lines.append(labels["invoice"].format(number=invoice["number"],
                                              outstanding=format_money(invoice["outstanding"], locale),
                                              due=_date(str(invoice["due_date"]), locale), late=late))
    bank = context.get("bank_account")
    if bank:
        lines.append(labels["bank"].format(bank=bank["bank_name"], number=bank["account_number"],
                                           holder=bank["account_name"]))
    if context.get("payment_memo"):
        lines.append(labels["memo"].format(memo=context["payment_memo"]))
    if context.get("pay_url"):
        lines.append(str(context["pay_url"]))
    lines.append(labels["thanks"])
    return "\n".join(lines)
