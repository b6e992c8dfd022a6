"""Vietnamese banks by their NAPAS BIN, from the bundled list ``chalicelib/data/vn_bank_bins.csv``.

A bank account's ``bank_bin`` is what VietQR codes and transfer instructions need, so it is checked
against this list rather than trusted; the short name fills ``bank_name`` when a tenant leaves it out.
The list ships inside ``chalicelib/`` so the Lambda package carries it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "vn_bank_bins.csv"


@dataclass(frozen=True)
class Bank:
    bin: str
    short_name: str
    name: str


@lru_cache(maxsize=1)
def _banks() -> dict[str, Bank]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return {row["bin"].strip(): Bank(row["bin"].strip(), row["short_name"].strip(), row["name_vi"].strip())
                for row in rows if row.get("bin")}


def bank_for_bin(bin_code: str) -> Bank | None:
    return _banks().get(bin_code.strip())


def all_banks() -> list[Bank]:
    """Every supported bank, by short name then BIN (a bank with two BINs appears twice)."""
    return sorted(_banks().values(), key=lambda bank: (bank.short_name.lower(), bank.bin))
