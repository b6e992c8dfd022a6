"""Reading a bank transfer's description for the reminder code of its transfer memo.

A memo reads ``KH00001 NN7K3QXABC``; its reminder code (the 8 characters after ``NN``) is unique per
reminder, so it alone identifies what was paid. Banks mangle descriptions on the way: they add their own
prefixes and suffixes ("MBVCB.123456.KH00001 NN7K3QXABC.CT tu ..."), drop or insert spaces and dots
("IBFT KH00001NN7K3QXABC"), change case, and payers type Vietnamese with diacritics or mistake O for 0.
So the description is folded to upper-case ASCII letters and digits only, and every ``NN`` followed by
eight characters that can be a ULID tail is a candidate; the store decides which candidate is real.
Pure: no I/O.
"""

from __future__ import annotations

import re

from chalicelib.domain.memo import CODE_LENGTH
from chalicelib.domain.text import ascii_only

MAX_CANDIDATES = 8
# Crockford base32 (ULID) has no I, L, O, U; payers who type those mean 1, 1, 0 (U stays impossible).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CROCKFORD = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_CANDIDATE = re.compile(rf"(?=NN([A-Z0-9]{{{CODE_LENGTH}}}))")


def squash(description: str) -> str:
    """Upper-case ASCII letters and digits only: 'Chuyển khoản nn7k3-qxabc' -> 'CHUYENKHOANNN7K3QXABC'."""
    return _NOT_ALNUM.sub("", ascii_only(description).upper())


def candidate_codes(description: str) -> list[str]:
    """Reminder codes the description may quote, in the order they appear, without repeats (at most 8)."""
    found: dict[str, None] = {}
    for match in _CANDIDATE.finditer(squash(description)):
        code = match.group(1).translate(_LOOKALIKES)
        if set(code) <= _CROCKFORD:
            found.setdefault(code)
        if len(found) >= MAX_CANDIDATES:
            break
    return list(found)

