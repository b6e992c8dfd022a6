"""Vietnamese-aware text helpers: folding diacritics for sorting, search and ASCII transfer memos."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(value: str) -> str:
    """Lower case, no diacritics, single spaces: 'Công ty Đại Việt' -> 'cong ty dai viet'."""
    value = value.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def ascii_only(value: str) -> str:
    """ASCII with diacritics removed but case kept, for bank transfer memos."""
    value = value.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ord(ch) < 128)


def one_line(value: str) -> str:
    """Drop CR/LF and other control characters (email subjects and headers)."""
    return _SPACES.sub(" ", "".join(ch if ch.isprintable() else " " for ch in value)).strip()
