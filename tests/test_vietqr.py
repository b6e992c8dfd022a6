"""VietQR: the exact NAPAS payload (public vector, static vs dynamic, memos, CRC), the image, and the route."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
import segno

from chalicelib.domain import vietqr

PUBLIC_VECTOR = ("00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA"
                 "53037045405401235802VN62160812chuyen khoan6304722F")
ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "Công ty TNHH Đại Việt"}


def fields(text: str) -> dict[str, str]:
    """Parse one level of EMVCo TLV fields."""
    found, i = {}, 0
    while i < len(text):
        tag, length = text[i:i + 2], int(text[i + 2:i + 4])
        found[tag] = text[i + 4:i + 4 + length]
        i += 4 + length
    return found


# --- the payload -----------------------------------------------------------------------------------

def test_public_vector_is_reproduced_exactly():
    assert vietqr.payload("970422", "0023457923442", amount=40123, memo="chuyen khoan") == PUBLIC_VECTOR


def test_crc_is_ccitt_false_over_everything_before_it_including_6304():
    assert vietqr.crc16_ccitt_false("123456789") == "29B1"  # the algorithm's standard check value
    text = vietqr.payload("970436", "0071000123456", amount=1_500_000, memo="KH00042 NN7K3Q9ZTX")
    assert text[-8:-4] == "6304"
    assert text[-4:] == vietqr.crc16_ccitt_false(text[:-4])
    assert text[-4:] == text[-4:].upper()


@pytest.mark.parametrize("position", [10, 40, 60])
def test_changing_any_character_changes_the_crc(position):
    text = vietqr.payload("970436", "0071000123456", amount=1_500_000, memo="KH00042 NN7K3Q9ZTX")
    body = text[:-4]
    tampered = body[:position] + ("1" if body[position] != "1" else "2") + body[position + 1:]
    assert vietqr.crc16_ccitt_false(tampered) != text[-4:]


def test_with_an_amount_the_code_is_dynamic_and_carries_it():
    top = fields(vietqr.payload("970436", "0071000123456", amount=2_500_000))
    assert top["00"] == "01" and top["01"] == "12"
    assert top["54"] == "2500000" and top["53"] == "704" and top["58"] == "VN"
    merchant = fields(top["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert fields(merchant["01"]) == {"00": "970436", "01": "0071000123456"}


def test_without_an_amount_the_code_is_static_with_no_amount_field():
    top = fields(vietqr.payload("970436", "0071000123456"))
    assert top["01"] == "11"
    assert "54" not in top and "62" not in top
    assert list(top) == ["00", "01", "38", "53", "58", "63"]


def test_field_order_with_amount_and_memo():
    top = fields(vietqr.payload("970436", "0071000123456", amount=1, memo="x"))
    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert fields(top["62"]) == {"08": "x"}


@pytest.mark.parametrize("memo, expected", [
    ("Thanh toán hóa đơn", "Thanh toan hoa don"),
    ("Đặng Đức Đạt đã trả", "Dang Duc Dat da tra"),  # đ/Đ are letters of their own, not d + a mark
    ("  nhiều   khoảng\ttrắng ", "nhieu khoang trang"),
    ("Công ty TNHH Thương mại Dịch vụ Hoàng Long", "Cong ty TNHH Thuong mai D"),
    ("emoji 😀 gone", "emoji gone"),
    ("ĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐĐ", "D" * 25),
    ("", ""),
    (None, ""),
])
def test_memo_is_ascii_without_diacritics_and_at_most_25_characters(memo, expected):
    assert vietqr.clean_memo(memo) == expected
    assert len(vietqr.clean_memo(memo)) <= 25
    text = vietqr.payload("970436", "0071000123456", amount=1000, memo=memo)
    text.encode("ascii")
    top = fields(text)
    if expected:
        assert fields(top["62"])["08"] == expected
    else:
        assert "62" not in top


def test_memo_cut_at_25_drops_a_trailing_space():
    assert vietqr.clean_memo("a" * 24 + " bcd") == "a" * 24


@pytest.mark.parametrize("kwargs", [
    {"bank_bin": "97042", "account_number": "123456"},
    {"bank_bin": "9704222", "account_number": "123456"},
    {"bank_bin": "970422", "account_number": ""},
    {"bank_bin": "970422", "account_number": "0023-457"},
    {"bank_bin": "970422", "account_number": "123456", "amount": 0},
    {"bank_bin": "970422", "account_number": "123456", "amount": -5},
    {"bank_bin": "970422", "account_number": "123456", "amount": 10**13},
    {"bank_bin": "970422", "account_number": "123456", "amount": True},
])
def test_values_the_format_cannot_carry_are_refused(kwargs):
    with pytest.raises(vietqr.VietQRError):
        vietqr.payload(**kwargs)


# --- the image -------------------------------------------------------------------------------------

def png_modules(png: bytes, scale: int, border: int) -> list[list[bool]]:
    """Decode segno's 1-bit greyscale PNG (every filter type) and sample one pixel per module: True = dark."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    i, chunks = 8, {}
    while i < len(png):
        (length,) = struct.unpack(">I", png[i:i + 4])
        kind = png[i + 4:i + 8]
        chunks[kind] = chunks.get(kind, b"") + png[i + 8:i + 8 + length]
        i += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (1, 0)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = (width + 7) // 8
    rows, previous, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            left = line[x - 1] if x else 0
            up, up_left = previous[x], previous[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[x] = (line[x] + pred) & 0xFF
        rows.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = line
    size = width // scale - 2 * border
    return [[rows[(border + r) * scale + scale // 2][(border + c) * scale + scale // 2] for c in range(size)]
            for r in range(size)]


def test_png_holds_the_matrix_segno_makes_for_the_payload():
    text = vietqr.payload("970436", "0071000123456", amount=3_500_000, memo="KH00042 NN7K3Q9ZTX")
    png = vietqr.png_bytes(text)
    made = segno.make(text, error="m", boost_error=False, mask=vietqr.MASK)
    expected = [[bool(cell) for cell in row] for row in made.matrix]
    assert png_modules(png, vietqr.SCALE, vietqr.BORDER) == expected
    assert vietqr.qr_code(text).error == "M"
    assert vietqr.qr_code(text).mask == vietqr.MASK  # fixed: choosing among eight costs 8x the CPU


def test_data_uri_is_the_png_in_base64():
    text = vietqr.payload("970436", "0071000123456")
    uri = vietqr.data_uri(text)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == vietqr.png_bytes(text)


def test_importing_the_domain_module_does_not_import_segno():
    import subprocess
    import sys

    code = "import sys, chalicelib.domain.vietqr; print('segno' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the route -------------------------------------------------------------------------------------

def new_account(api, **fields):
    response = api.post("/v1/bank-accounts", {**ACCOUNT, **fields})
    assert response.status_code == 201, response.body
    return response.data


def test_route_gives_payload_and_png_for_an_amount_and_a_vietnamese_memo(api):
    account = new_account(api)
    response = api.post(f"/v1/bank-accounts/{account['id']}/vietqr", {"amount": 1_500_000, "memo": "Đơn hàng 45"})
    assert response.status_code == 200, response.body
    body = response.data
    assert body["payload"] == vietqr.payload("970436", "0071000123456", amount=1_500_000, memo="Don hang 45")
    assert body["memo"] == "Don hang 45" and body["amount"] == 1_500_000
    assert base64.b64decode(body["image"].split(",", 1)[1]) == vietqr.png_bytes(body["payload"])


def test_route_without_a_body_gives_a_static_code(api):
    account = new_account(api)
    response = api.post(f"/v1/bank-accounts/{account['id']}/vietqr")
    assert response.status_code == 200, response.body
    assert fields(response.data["payload"])["01"] == "11"
    assert response.data["amount"] is None and response.data["memo"] is None


@pytest.mark.parametrize("body, field", [
    ({"amount": 0}, "amount"),
    ({"amount": -1}, "amount"),
    ({"amount": 1.5}, "amount"),
    ({"amount": "1000"}, "amount"),
    ({"amount": 10**13}, "amount"),
    ({"memo": "Thanh toán hóa đơn số HD000123 tháng 12"}, "memo"),  # 38 characters: refused, not cut
    ({"memo": "😀😀"}, "memo"),
    ({"memo": "line\nbreak"}, "memo"),
    ({"colour": "red"}, "colour"),
])
def test_route_refuses_bad_amounts_and_memos_naming_the_field(api, body, field):
    account = new_account(api)
    response = api.post(f"/v1/bank-accounts/{account['id']}/vietqr", body)
    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.data["errors"]]


def test_route_needs_a_key_and_hides_other_tenants_accounts(api, other):
    account = new_account(api)
    path = f"/v1/bank-accounts/{account['id']}/vietqr"
    assert api.post(path, {"amount": 1000}, key="").status_code == 401
    response = other.post(path, {"amount": 1000})
    assert response.status_code == 404
    assert account["account_number"] not in str(response.data)
    assert api.post("/v1/bank-accounts/bank_nope/vietqr", {}).status_code == 404
