"""Transfer memos ("nội dung chuyển khoản"): short, ASCII, unique per reminder, easy to type.

A memo reads ``<customer code> NN<reminder code>`` (at most 25 characters, as VietQR allows), so a
bank transfer that quotes it can be matched back to the reminder and its invoices.
"""

from __future__ import annotations

import re

from chalicelib.domain.text import ascii_only

MAX_LENGTH = 25
CODE_LENGTH = 8
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def reminder_code(reminder_id: str) -> str:
    """The last characters of the reminder's ULID: random, upper case, unambiguous in Crockford base32."""
    return reminder_id.rsplit("_", 1)[-1][-CODE_LENGTH:].upper()


def payment_memo(customer_code: str, reminder_id: str) -> str:
    code = _NOT_ALNUM.sub("", ascii_only(customer_code).upper())
    tail = f"NN{reminder_code(reminder_id)}"
    room = MAX_LENGTH - len(tail) - 1
    return f"{code[:room]} {tail}" if code else tail
