"""``python -m bench`` (``make bench``): every figure, printed and written to bench/RESULTS.md."""

from __future__ import annotations

import sys
import time

from bench import env  # noqa: F401  (first: the environment, before the app's settings are read)
from bench.requests import hook_pynamodb

hook_pynamodb()  # before any PynamoDB model makes its client

from bench import bulk, cold, receivables, report  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    figures: list[report.Figure] = []
    details: list[str] = []
    for step in (bulk.run, receivables.run):
        found = step(details)
        for figure in found:
            print(figure.line(), flush=True)
        figures += found
    for step in (cold.import_figure, cold.zip_figure):
        figure = step(details)
        print(figure.line(), flush=True)
        figures.append(figure)
    order = ["bulk_aws_requests_per_reminder", "bulk_time_ratio", "receivables_page_requests",
             "receivables_page_ratio", "cold_import_ratio", "lambda_zip_mb", "render_ratio", "api_overhead_ratio"]
    figures.sort(key=lambda f: order.index(f.name))
    print("\n" + "\n".join(details), flush=True)
    report.write(figures, details, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
