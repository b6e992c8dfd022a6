"""Money is an integer in the currency's minor unit (VND has none). Formatting per locale."""

from __future__ import annotations

CURRENCY_SYMBOLS = {"VND": "₫"}


def format_money(amount: int, locale: str = "vi", currency: str = "VND") -> str:
    """``1.500.000 ₫`` in Vietnamese, ``VND 1,500,000`` in English."""
    grouped = f"{abs(int(amount)):,}"
    sign = "-" if amount < 0 else ""
    if locale == "vi":
        return f"{sign}{grouped.replace(',', '.')} {CURRENCY_SYMBOLS.get(currency, currency)}"
    return f"{currency} {sign}{grouped}"
