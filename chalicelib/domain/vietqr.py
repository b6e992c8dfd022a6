"""VietQR: the NAPAS 247 transfer QR (EMVCo merchant-presented mode) that Vietnamese banking apps scan.

``payload`` builds the text a QR carries: TLV fields ``id(2) len(2) value``, dynamic (``01`` = ``12``)
when it names an amount and static (``11``) when the payer types one, the receiving bank's BIN and
account under the NAPAS GUID ``A000000727`` with service ``QRIBFTTA`` (transfer to an account), the
currency (704 = VND), the country, the transfer memo ("nội dung chuyển khoản") and a CRC-16/CCITT-FALSE
over everything before it, ``6304`` included. Banks refuse a code whose CRC is wrong, so the layout
is exact and tested against a public vector.

The memo must be ASCII (many banks' rails drop or mangle anything else) and at most 25 characters,
so Vietnamese text is folded ("Thanh toán đơn" -> "Thanh toan don") and cut.

``png_bytes`` / ``data_uri`` draw the code with segno (pure Python, small enough for the Lambda zip),
imported only when an image is wanted so that importing this module stays cheap on a cold start.
"""

from __future__ import annotations

import base64
import io
import re
from typing import TYPE_CHECKING

from chalicelib.domain.text import ascii_only

if TYPE_CHECKING:
    from segno import QRCode

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY = "VN"
MEMO_MAX = 25
AMOUNT_MAX_DIGITS = 13  # EMVCo: field 54 holds at most 13 characters
# A QR module is drawn as SCALE x SCALE pixels with the quiet zone of 4 modules the QR standard asks for:
# about 250 px for a reminder's payload, large enough to scan from a phone screen or a printout.
SCALE = 5
BORDER = 4
ERROR_LEVEL = "m"  # ~15% of the code may be damaged: a common choice for screens and prints

_SPACES = re.compile(r"\s+")
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9]{1,19}$")


class VietQRError(ValueError):
    """A value that cannot go into a VietQR code (the caller's input, not a bug)."""


def tlv(tag: str, value: str) -> str:
    """One EMVCo field: two-digit id, two-digit length, value (ASCII, so characters are bytes)."""
    if len(value) > 99:
        raise VietQRError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt_false(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final xor) as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def ascii_memo(memo: str | None) -> str:
    """The memo folded to printable ASCII with single spaces, not yet cut: 'Đơn  hàng' -> 'Don hang'."""
    if not memo:
        return ""
    folded = _NOT_PRINTABLE_ASCII.sub(" ", ascii_only(memo))
    return _SPACES.sub(" ", folded).strip()


def clean_memo(memo: str | None) -> str:
    """The memo as banks accept it: diacritics folded (đ/Đ included), printable ASCII, single spaces, <= 25."""
    return ascii_memo(memo)[:MEMO_MAX].rstrip()


def payload(bank_bin: str, account_number: str, *, amount: int | None = None, memo: str | None = None) -> str:
    """The VietQR text for a transfer to ``account_number`` at the bank ``bank_bin``.

    ``amount`` (whole đồng) makes the code dynamic; without it the payer types the amount. ``memo`` is
    folded to ASCII and cut to 25 characters (see ``clean_memo``); an empty memo leaves field 62 out.
    """
    if not _BIN.match(bank_bin or ""):
        raise VietQRError("the bank BIN must be 6 digits")
    if not _ACCOUNT.match(account_number or ""):
        raise VietQRError("the account number must be 1 to 19 letters or digits")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
                               or len(str(amount)) > AMOUNT_MAX_DIGITS):
        raise VietQRError(f"the amount must be a whole number of đồng from 1 to {AMOUNT_MAX_DIGITS} digits")
    beneficiary = tlv("00", bank_bin) + tlv("01", account_number)
    merchant = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", SERVICE_TO_ACCOUNT)
    fields = [tlv("00", "01"), tlv("01", "12" if amount is not None else "11"), tlv("38", merchant),
              tlv("53", CURRENCY_VND)]
    if amount is not None:
        fields.append(tlv("54", str(amount)))
    fields.append(tlv("58", COUNTRY))
    purpose = clean_memo(memo)
    if purpose:
        fields.append(tlv("62", tlv("08", purpose)))
    body = "".join(fields) + "6304"
    return body + crc16_ccitt_false(body)


def qr_code(text: str) -> QRCode:
    """The segno QR code for ``text``: error level M exactly (no boost), so what a test rebuilds matches."""
    import segno  # lazy: only image makers pay for it

    # A fixed mask: choosing the best of eight costs ~8x the time (most of a reminder's CPU) and any
    # mask scans; the mask in use is written in the symbol's format information.
    return segno.make(text, error=ERROR_LEVEL, boost_error=False, micro=False, mask=MASK)


MASK = 4


def png_bytes(text: str) -> bytes:
    """The QR code for ``text`` as a black-on-white PNG."""
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()


def data_uri(text: str) -> str:
    """The PNG as a ``data:`` URI, for pages and previews (emails use an inline ``cid:`` image instead)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(text)).decode("ascii")
