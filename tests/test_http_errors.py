"""What a client sees when the request is wrong or we are: always RFC 9457 problem+json, never a traceback."""

from __future__ import annotations

import json

import pytest

from chalicelib.services import customers as customer_service
from tests import factories

PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == PROBLEM
    body = json.loads(response.body)
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


@pytest.mark.parametrize("raw", [b"{", b'{"code": "KH1",}', b"not json", b'{"code": "KH1"} trailing', b"NaN"])
def test_malformed_json_is_400(api, raw):
    _problem(api.post("/v1/customers", raw=raw), 400)


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b'[{"code": "KH1", "name": "A"}]'])
def test_json_that_is_not_an_object_is_refused(api, raw):
    response = api.post("/v1/customers", raw=raw)
    assert response.status_code in (400, 422)
    _problem(response, response.status_code)
    assert api.get("/v1/receivables?status=all").data["items"] == []


def test_body_over_one_mebibyte_is_413(api):
    huge = json.dumps({"code": "KH1", "name": "A", "note": "x" * (1024 * 1024)})
    _problem(api.post("/v1/customers", raw=huge), 413)


def test_deeply_nested_json_is_a_client_error_not_a_crash(api):
    for raw in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000,
                json.dumps({"code": "KH1", "name": "A", "note": json.loads("[" * 500 + "]" * 500)})):
        response = api.post("/v1/customers", raw=raw)
        assert response.status_code in (400, 422), response.body
        _problem(response, response.status_code)


def test_invalid_utf8_is_400(api):
    body = _problem(api.post("/v1/customers", raw=b'{"code": "KH1", "name": "C\xf4ng ty"}'), 400)
    assert "UTF-8" in body["detail"]


def test_non_json_content_type_is_415(api):
    response = api.post("/v1/customers", raw="code=KH1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    _problem(response, 415)


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"),
                                          ("limit=-1", "limit"), ("status=late", "status"), ("sort=age", "sort"),
                                          ("order=up", "order"), ("colour=red", "colour"),
                                          ("q=" + "a" * 101, "q")])
def test_out_of_range_query_values_are_422_naming_the_parameter(api, query, field):
    body = _problem(api.get(f"/v1/receivables?{query}"), 422)
    assert field in [error["field"] for error in body["errors"]]


def test_limits_at_the_edges_are_accepted(api):
    assert api.get("/v1/receivables?limit=1").status_code == 200
    assert api.get("/v1/receivables?limit=200").status_code == 200


def test_validation_errors_list_every_bad_field(api):
    body = _problem(api.post("/v1/customers", {"code": "", "name": "", "emails": ["x"], "extra": 1}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert {"code", "name", "emails.0", "extra"} <= fields
    assert all(error["message"] for error in body["errors"])


@pytest.mark.parametrize("method, path", [("PUT", "/v1/customers"), ("DELETE", "/v1/receivables"),
                                          ("POST", "/v1/health"), ("PATCH", "/v1/api-keys")])
def test_wrong_method_on_existing_path_is_405_problem_json(api, method, path):
    body = _problem(api.request(method, path, {}), 405)
    assert "Code" not in body and "Message" not in body


def test_unexpected_exception_is_500_problem_without_internals_but_with_request_id(api, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret table nhacno-test-customers exploded at /work/main/chalicelib")

    monkeypatch.setattr(customer_service, "create", explode)
    response = api.post("/v1/customers", {"code": "KH1", "name": "A"})
    body = _problem(response, 500)
    text = response.body.decode()
    for leak in ("Traceback", "RuntimeError", "secret", "nhacno-test", "chalicelib", ".py"):
        assert leak not in text
    request_id = body["detail"].rsplit("Request id: ", 1)[-1].rstrip(".")
    assert request_id and request_id != "-"


def test_failed_request_with_idempotency_key_can_be_retried(api, monkeypatch):
    real = customer_service.create

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(customer_service, "create", explode)
    body = {"code": "KH1", "name": "A"}
    assert api.post("/v1/customers", body, headers={"Idempotency-Key": "retry-me"}).status_code == 500
    monkeypatch.setattr(customer_service, "create", real)
    retried = api.post("/v1/customers", body, headers={"Idempotency-Key": "retry-me"})
    assert retried.status_code == 201 and "Idempotency-Replayed" not in retried.headers


def test_allowed_origin_is_echoed(api):
    for origin in ("https://app.example.vn", "https://console.example.vn"):
        response = api.get("/v1/receivables", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response.headers["Vary"]


def test_other_origin_gets_no_cors_allowance(api):
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "https://app.example.vn.evil.example"}, {}):
        response = api.get("/v1/receivables", headers=headers)
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_carry_cors_headers_for_allowed_origins(api):
    response = api.get("/v1/customers/cus_nope", headers={"Origin": "https://app.example.vn"})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.vn"
    unauthorized = api.get("/v1/receivables", key="", headers={"Origin": "https://console.example.vn"})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["Access-Control-Allow-Origin"] == "https://console.example.vn"


def test_responses_are_utf8_json_with_vietnamese_unescaped(api):
    customer = factories.customer(api, name="Công ty Đại Việt")
    response = api.get(f"/v1/customers/{customer['id']}")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Công ty Đại Việt".encode() in response.body
