"""VietQR codes for a tenant's bank accounts: on demand through the API, and for reminders and the pay page.

The domain (``chalicelib.domain.vietqr``) knows the format; this module ties it to stored accounts, checks
what a caller asked for (422 naming the field), and keeps one rule for a reminder's code: the reminder's
account, its amount and its transfer memo.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import errors, vietqr
from chalicelib.services import bank_accounts


def for_account(tenant_id: str, account_id: str, amount: int | None, memo: str | None) -> dict[str, Any]:
    """The code for one of the tenant's accounts (404 for an id that is not the tenant's)."""
    account = bank_accounts.get(tenant_id, account_id)
    cleaned = None
    if memo is not None:
        folded = vietqr.ascii_memo(memo)
        if not folded:
            raise errors.invalid("memo", "must contain letters or digits once folded to ASCII")
        if len(folded) > vietqr.MEMO_MAX:
            raise errors.invalid("memo", f"is {len(folded)} characters once folded to ASCII "
                                         f"({folded!r}); VietQR allows at most {vietqr.MEMO_MAX}")
        cleaned = folded
    try:
        text = vietqr.payload(account.bank_bin, account.account_number, amount=amount, memo=cleaned)
    except vietqr.VietQRError as exc:  # an account saved before the checks were this strict
        raise errors.Conflict(detail=f"This account cannot be put in a VietQR code: {exc}.") from None
    return {"payload": text, "image": vietqr.data_uri(text), "amount": amount, "memo": cleaned,
            "bank_bin": account.bank_bin, "account_number": account.account_number}


def payload_for(bank_account: dict[str, Any] | None, amount: int | None, memo: str | None) -> str | None:
    """The code a reminder or pay page shows for ``bank_account`` (as templates see it); None without one.

    An account the format cannot carry (say, a legacy number with a dash) gets no code rather than a
    failed reminder: the transfer details are still written out next to where the code would be.
    """
    if not bank_account:
        return None
    try:
        return vietqr.payload(str(bank_account["bank_bin"]), str(bank_account["account_number"]),
                              amount=amount if amount and amount > 0 else None, memo=memo)
    except vietqr.VietQRError:
        return None
