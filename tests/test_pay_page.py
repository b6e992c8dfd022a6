"""The public pay page: owed now with QR and bank details, paid once settled, expired after 90 days, 404 if forged."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from freezegun import freeze_time

from chalicelib.domain import vietqr
from chalicelib.services import pay_links
from tests import factories, worker

NOW = "2026-12-04T03:00:00Z"
ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "CONG TY TNHH MINH ANH"}
_LINK = re.compile(r'href="https?://[^"]*/pay/([A-Za-z0-9_.-]+)"')


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


def get_page(client, token):
    response = client.http.get(f"/pay/{token}")
    return response, response.body.decode("utf-8")


def remind(api, app, **customer_fields):
    """A customer with two invoices, reminded by email; returns the customer, invoices and the pay token."""
    with freeze_time(NOW):
        if not api.get("/v1/bank-accounts").data["items"]:
            assert api.post("/v1/bank-accounts", ACCOUNT).status_code == 201
        customer = factories.customer(api, **{"name": "Công ty TNHH Hoàng Long", **customer_fields})
        late = factories.invoice(api, customer["id"], number="HD-0001", due_date="2026-11-20", amount=2_000_000)
        soon = factories.invoice(api, customer["id"], number="HD-0002", due_date="2026-12-20", amount=1_500_000)
        reminder = api.post(f"/v1/customers/{customer['id']}/reminders", {}).data
        worker.drain(app)
        sent = api.get(f"/v1/reminders/{reminder['id']}").data
    assert sent["status"] == "sent", sent
    token = _LINK.search(sent["html"]).group(1)
    assert f"/pay/{token}" in sent["text"]
    return {"customer": customer, "late": late, "soon": soon, "reminder": sent, "token": token}


@freeze_time(NOW)
def test_unpaid_page_shows_company_invoices_amount_qr_bank_details_and_memo(api, app, client):
    api.patch("/v1/settings", {"company_name": "Công ty TNHH Minh Anh"})
    found = remind(api, app)
    response, page = get_page(client, found["token"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert '<html lang="vi">' in page
    assert "Công ty TNHH Minh Anh" in page and "Hoàng Long" in page
    assert "HD-0001" in page and "HD-0002" in page and "20/11/2026" in page
    assert "3.500.000 ₫" in page
    memo = found["reminder"]["payment_memo"]
    for value in ("Vietcombank", "0071000123456", "CONG TY TNHH MINH ANH", memo):
        assert html_lib.escape(value) in page
    qr = vietqr.data_uri(vietqr.payload("970436", "0071000123456", amount=3_500_000, memo=memo))
    assert f'src="{qr}"' in page
    assert f'data-copy="{memo}" hidden>Sao chép</button>' in page  # copy buttons appear only when the script runs
    assert "navigator.clipboard" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # no external assets


@freeze_time(NOW)
def test_partial_payment_lowers_the_amount_and_the_qr_follows(api, app, client):
    found = remind(api, app)
    assert factories.pay(api, found["late"]["id"], 2_000_000).status_code == 201
    assert factories.pay(api, found["soon"]["id"], 500_000).status_code == 201
    _, page = get_page(client, found["token"])
    assert "1.000.000 ₫" in page
    assert "HD-0001" not in page  # settled invoices leave the list while something is owed
    memo = found["reminder"]["payment_memo"]
    assert vietqr.data_uri(vietqr.payload("970436", "0071000123456", amount=1_000_000, memo=memo)) in page


@freeze_time(NOW)
def test_after_paying_every_invoice_the_page_says_paid_and_shows_no_qr(api, app, client):
    found = remind(api, app)
    factories.pay(api, found["late"]["id"], 2_000_000)
    factories.pay(api, found["soon"]["id"], 1_500_000)
    response, page = get_page(client, found["token"])
    assert response.status_code == 200
    assert "Đã thanh toán" in page and 'id="paid"' in page
    assert "data:image/png" not in page and "0071000123456" not in page and "<script" not in page


def test_link_expires_90_days_after_the_reminder_was_made(api, app, client):
    found = remind(api, app)
    with freeze_time("2027-03-03T02:59:59Z"):  # 89 days 23:59:59 later
        assert get_page(client, found["token"])[0].status_code == 200
    with freeze_time("2027-03-04T03:00:00Z"):
        response, page = get_page(client, found["token"])
    assert response.status_code == 410
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "hết hạn" in page and 'id="expired"' in page
    assert "0071000123456" not in page and "data:image/png" not in page and "3.500.000" not in page


@freeze_time(NOW)
def test_forged_tampered_or_unknown_tokens_get_the_same_404_page(api, app, client, other):
    found = remind(api, app)
    ids_part, mac = found["token"].split(".")
    tenant_id, reminder_id = pay_links._unb64(ids_part).decode().split("~")
    other_tenant = other.get("/v1/settings").data.get("tenant_id") or "ten_other"
    forged = [
        "nope",
        f"{ids_part}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",  # one bit of the signature off
        f"{ids_part}.",
        pay_links.token_for(tenant_id, reminder_id, key=b"another deployment's key"),
        pay_links.token_for(tenant_id, "rem_01jf00000000000000000000"),  # signed, but no such reminder
        pay_links.token_for(other_tenant, reminder_id),  # the right reminder under another tenant
        f"{pay_links._b64(f'{other_tenant}~{reminder_id}'.encode())}.{mac}",  # ids swapped, old signature
        "a.b.c", "%00", "x" * 400,
    ]
    for token in forged:
        response, page = get_page(client, token)
        assert response.status_code == 404, token
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert 'id="missing"' in page and "0071000123456" not in page


@freeze_time(NOW)
def test_customer_and_company_names_are_escaped(api, app, client):
    api.patch("/v1/settings", {"company_name": "<script>alert('co')</script> & Co"})
    found = remind(api, app, name='<img src=x onerror=alert(1)> "Khách"')
    _, page = get_page(client, found["token"])
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;co&#39;)&lt;/script&gt; &amp; Co" in page
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;Khách&#34;" in page


@freeze_time(NOW)
def test_english_customers_get_the_page_in_english(api, app, client):
    found = remind(api, app, locale="en")
    _, page = get_page(client, found["token"])
    assert '<html lang="en">' in page
    assert "Amount to pay" in page and "VND 3,500,000" in page and "Transfer reference" in page
    assert "Số tiền" not in page


@freeze_time(NOW)
def test_page_needs_no_api_key_and_is_in_the_openapi_document(api, app, client):
    found = remind(api, app)
    response = client.http.get(f"/pay/{found['token']}", headers={})
    assert response.status_code == 200
    spec = api.get("/v1/openapi.json", key="").data
    operation = spec["paths"]["/pay/{token}"]["get"]
    assert "security" not in operation and "410" in operation["responses"]


def test_token_round_trip_and_shape():
    token = pay_links.token_for("ten_abc", "rem_xyz", key=b"k")
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}", token)
    link = pay_links.read(token, key=b"k")
    assert (link.tenant_id, link.reminder_id) == ("ten_abc", "rem_xyz")
    assert pay_links.read(token, key=b"other") is None


def test_a_token_differing_only_in_base64_spare_bits_is_refused():
    token = pay_links.token_for("ten_a", "rem_b")
    ids_part, mac = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert pay_links.read(token) is not None
    assert [c for c in alphabet if c != mac[-1] and pay_links.read(f"{ids_part}.{mac[:-1]}{c}")] == []
