"""Figures 3 and 6: receivables pages for a tenant with 10,000 customers and 30,000 invoices, and one
customer read through the API, each next to the bare request that returns the same data.

Pages 1 and 10 of two lists (50 rows): ``sort=outstanding`` and ``status=overdue&sort=days_overdue``.
The API is warmed first (the key and tenant caches of a warm Lambda); then each page is timed through
Chalice's test client and counted, and the bare baseline is a boto3 Query on the same index, key
condition and start key, checked to return the same customers.
"""

from __future__ import annotations

import time
from typing import Any

from chalice.test import Client

from bench import env, seed
from bench.bulk import interleaved, new_tenant
from bench.report import Figure
from bench.requests import LOG, hook_adapters
from chalicelib.settings import settings
from chalicelib.store.customers import NOTHING_DUE, Customer

CUSTOMERS = 10_000
INVOICES_EACH = 3
LIMIT = 50
PAGES = (1, 10)
ROUNDS = 5
LISTS = {
    "outstanding": ("sort=outstanding", "by_outstanding", "outstanding"),
    "overdue_by_days": ("status=overdue&sort=days_overdue", "by_oldest_due", "oldest_due_sort"),
}


def _bare_query(ddb: Any, tenant_id: str, index: str, range_attr: str, today: str,
                start: dict[str, Any] | None) -> dict[str, Any]:
    if range_attr == "outstanding":  # status=open, by outstanding, largest first
        condition, values, forward = "#h = :t AND #r > :v", {":t": {"S": tenant_id}, ":v": {"N": "0"}}, False
    else:  # status=overdue, oldest due first
        condition, values, forward = "#h = :t AND #r < :v", {":t": {"S": tenant_id}, ":v": {"S": today}}, True
    kwargs: dict[str, Any] = {
        "TableName": Customer.Meta.table_name, "IndexName": index, "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#h": "tenant_id", "#r": range_attr}, "ExpressionAttributeValues": values,
        "ScanIndexForward": forward, "Limit": LIMIT + 1}
    if start:
        kwargs["ExclusiveStartKey"] = start
    return ddb.query(**kwargs)


def _start_after(item: dict[str, Any], range_attr: str) -> dict[str, Any]:
    return {name: item[name] for name in ("tenant_id", "customer_id", range_attr)}


def run(details: list[str]) -> list[Figure]:
    import boto3

    from app import app
    from chalicelib.services import tenants

    figures: list[Figure] = []
    with env.in_memory_aws(), Client(app) as client:
        hook_adapters()
        api, tenant_id = new_tenant(client)
        started = time.perf_counter()
        seeded = seed.customers_with_invoices(tenant_id, CUSTOMERS, INVOICES_EACH)
        seed.check_against_api(api, seeded)
        details.append(f"seeded {len(seeded.customer_ids)} customers and {seeded.invoices} invoices "
                       f"(checked against the API) in {time.perf_counter() - started:.1f} s")
        today = tenants.today(tenant_id).isoformat()
        assert today < NOTHING_DUE
        ddb = boto3.session.Session().client("dynamodb", region_name=settings.region)
        api.get("/v1/receivables?limit=1")  # warm: key and tenant caches, as in a warm Lambda

        requests_per_page: list[int] = []
        ratios: list[float] = []
        for label, (query, index, range_attr) in LISTS.items():
            cursor, bare_start = None, None
            for page in range(1, max(PAGES) + 1):
                path = f"/v1/receivables?{query}&limit={LIMIT}" + (f"&cursor={cursor}" if cursor else "")
                LOG.reset()
                response = api.get(path)
                counted = LOG.snapshot()
                assert response.status_code == 200, response.body
                bare = _bare_query(ddb, tenant_id, index, range_attr, today, bare_start)
                assert [r["customer_id"] for r in response.data["items"]] == [
                    i["customer_id"]["S"] for i in bare["Items"][:LIMIT]], f"{label} page {page} differs"
                if page in PAGES:
                    ddb_requests = sum(n for (service, _), n in counted.items() if service == "dynamodb")
                    requests_per_page.append(ddb_requests)
                    start_for_page = bare_start

                    def ours(path: str = path) -> None:
                        api.get(path)

                    def theirs(start: Any = start_for_page, index: str = index, attr: str = range_attr) -> None:
                        _bare_query(ddb, tenant_id, index, attr, today, start)

                    ours_s, bare_s = interleaved(ours, theirs, rounds=ROUNDS, number=1)
                    ratios.append(ours_s / bare_s)
                    details.append(f"receivables {label} page {page}: {ddb_requests} DynamoDB requests "
                                   f"({', '.join(f'{s}.{o}: {n}' for (s, o), n in sorted(counted.items()))}); "
                                   f"API {ours_s * 1e3:.1f} ms vs bare Query {bare_s * 1e3:.1f} ms "
                                   f"(median of {ROUNDS}), ratio {ours_s / bare_s:.2f}")
                cursor = response.data["next_cursor"]
                bare_start = _start_after(bare["Items"][LIMIT - 1], range_attr)
        worst = max(requests_per_page)
        figures.append(Figure("receivables_page_requests", worst, "", "floor", 1, "1 (every page)",
                              all(n == 1 for n in requests_per_page), ratio=worst / 1))
        worst_ratio = max(ratios)
        figures.append(Figure("receivables_page_ratio", worst_ratio, "", "baseline", 1.0,
                              "<= 1.5 (worst of the 4 pages)", worst_ratio <= 1.5, ratio=worst_ratio))
        details.append("")
        figures.append(api_overhead(api, tenant_id, seeded.customer_ids[CUSTOMERS // 3], details))
    return figures


def api_overhead(api: Any, tenant_id: str, customer_id: str, details: list[str]) -> Figure:
    path = f"/v1/customers/{customer_id}"
    assert api.get(path).status_code == 200  # warm
    LOG.reset()
    api.get(path)
    counted = LOG.snapshot()

    def ours() -> None:
        api.get(path)

    def bare() -> None:
        Customer.get(tenant_id, customer_id)

    ours_s, bare_s = interleaved(ours, bare, rounds=15, number=20)
    details += [f"GET {path}: {sum(counted.values())} AWS requests "
                f"({', '.join(f'{s}.{o}: {n}' for (s, o), n in sorted(counted.items()))}); "
                f"API {ours_s * 1e3:.2f} ms vs Customer.get {bare_s * 1e3:.2f} ms (median of 15 x 20)", ""]
    return Figure("api_overhead_ratio", ours_s * 1e3, " ms", "baseline", bare_s * 1e3, "<= 3", ours_s / bare_s <= 3)


