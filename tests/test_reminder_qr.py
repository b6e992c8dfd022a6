"""Every reminder carries how to pay: bank details, amount, memo and a VietQR (inline cid: image in the email)."""

from __future__ import annotations

import base64
import email
from email import policy

import pytest
from freezegun import freeze_time

from chalicelib.domain import vietqr
from tests import factories, worker

NOW = "2026-12-04T03:00:00Z"
ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "CONG TY TNHH MINH ANH"}


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def owing(api):
    with freeze_time(NOW):
        account = api.post("/v1/bank-accounts", ACCOUNT).data
        customer = factories.customer(api, code="KH-D01", name="Công ty TNHH Hoàng Long",
                                      emails=["ketoan@hoanglong.vn"])
        factories.invoice(api, customer["id"], number="HD-0001", due_date="2026-11-20", amount=2_000_000)
        factories.invoice(api, customer["id"], number="HD-0002", due_date="2026-12-20", amount=1_500_000)
    return {"customer": customer, "account": account}


def _details_in(text: str, memo: str) -> None:
    for value in ("Vietcombank", "0071000123456", "CONG TY TNHH MINH ANH", "3.500.000 ₫", memo):
        assert value in text, value


@freeze_time(NOW)
def test_preview_shows_bank_details_memo_pay_button_and_the_qr_as_a_data_uri(api, owing):
    preview = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/preview", {}).data
    memo = preview["payment_memo"]
    assert memo.startswith("KHD01 NN") and len(memo) <= 25 and memo.isascii()
    _details_in(preview["html"], memo)
    _details_in(preview["text"], memo)
    assert preview["vietqr"] == vietqr.payload("970436", "0071000123456", amount=3_500_000, memo=memo)
    uri = vietqr.data_uri(preview["vietqr"])
    assert f'src="{uri}"' in preview["html"]
    assert "Thanh toán ngay" in preview["html"] and "/pay/" in preview["html"]


@freeze_time(NOW)
def test_copy_text_carries_bank_account_amount_and_memo(api, owing):
    text = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/text", {}).data["text"]
    assert "Nội dung CK: KHD01 NN" in text
    _details_in(text, "Nội dung CK:")


@freeze_time(NOW)
def test_without_a_bank_account_there_is_no_qr_anywhere(api):
    customer = factories.customer(api)
    factories.invoice(api, customer["id"])
    preview = api.post(f"/v1/customers/{customer['id']}/reminders/preview", {}).data
    assert preview["vietqr"] is None
    assert "data:image/png" not in preview["html"] and "<img" not in preview["html"]


@freeze_time(NOW)
def test_sent_email_holds_the_qr_as_an_inline_png_the_html_names_by_cid(api, owing, app):
    sent_id = api.post(f"/v1/customers/{owing['customer']['id']}/reminders", {}).data["id"]
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{sent_id}").data
    assert reminder["status"] == "sent"
    (raw,) = worker.sent_emails()
    message = email.message_from_string(raw.raw_data, policy=policy.default)

    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<vietqr>"
    assert image.get_content_disposition() == "inline"

    html = html_part.get_content()
    assert 'src="cid:vietqr"' in html and "data:image" not in html
    memo = reminder["payment_memo"]
    _details_in(html, memo)
    _details_in(plain.get_content(), memo)
    expected = vietqr.payload("970436", "0071000123456", amount=3_500_000, memo=memo)
    assert image.get_content() == vietqr.png_bytes(expected)
    assert "Thanh toán ngay" in html and "/pay/" in html
    assert html.strip() == reminder["html"].strip()  # "Xem lại mail nhắc nợ" shows what went out


@freeze_time(NOW)
def test_qr_amount_is_the_reminders_amount_when_part_is_asked(api, owing, app):
    api.post(f"/v1/customers/{owing['customer']['id']}/reminders", {"amount": 500_000})
    worker.drain(app)
    message = email.message_from_string(worker.sent_emails()[0].raw_data, policy=policy.default)
    png = message.get_payload()[1].get_payload()[1].get_content()
    memo = message.get_body(("plain",)).get_content().split("Nội dung chuyển khoản: ")[1].split("\n")[0]
    assert png == vietqr.png_bytes(vietqr.payload("970436", "0071000123456", amount=500_000, memo=memo))


@freeze_time(NOW)
def test_a_template_without_the_qr_sends_no_stray_image(api, owing, app):
    template = api.post("/v1/templates", {"name": "Ngắn", "subject": "Nhắc nợ", "locale": "vi",
                                          "html": "<p>{{ amount|money }} - {{ payment_memo }}</p>",
                                          "text": "{{ amount|money }}"}).data
    api.post(f"/v1/customers/{owing['customer']['id']}/reminders", {"template_id": template["id"]})
    worker.drain(app)
    message = email.message_from_string(worker.sent_emails()[0].raw_data, policy=policy.default)
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative", "text/plain", "text/html"]


def test_inline_png_base64_is_what_segno_drew():
    text = vietqr.payload("970436", "0071000123456", amount=1000, memo="x")
    assert base64.b64decode(vietqr.data_uri(text).split(",")[1])[:8] == b"\x89PNG\r\n\x1a\n"
