"""Reminder settings ("Thiết lập nhắc nợ"): tenant settings, templates, senders, bank accounts, suppressions."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, model_validator

from chalicelib.domain.schemas.common import Email, Input, Locale, Name, Output, ShortText
from chalicelib.domain.text import ascii_only

Id = Annotated[str, Field(min_length=1, max_length=100)]
MAX_RULES = 20


# --- tenant settings -------------------------------------------------------------------------------

class ReminderRule(Input):
    offset_days: Annotated[StrictInt, Field(ge=-365, le=365, description=(
        "Days relative to the due date: -3 = three days before, 0 = on the day, 7 = a week after."))]
    repeat_every_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    max_repeats: Annotated[StrictInt, Field(ge=1, le=100, description="Only together with repeat_every_days.")] \
        | None = None

    @model_validator(mode="after")
    def _repeats_need_interval(self) -> ReminderRule:
        if self.max_repeats is not None and self.repeat_every_days is None:
            raise ValueError("max_repeats needs repeat_every_days")
        return self


class AutoReminders(Input):
    enabled: bool = False
    template_id: Id | None = Field(default=None, description="Falls back to the default template when absent.")
    rules: Annotated[list[ReminderRule], Field(max_length=MAX_RULES)] = []

    @model_validator(mode="after")
    def _distinct_offsets(self) -> AutoReminders:
        offsets = [rule.offset_days for rule in self.rules]
        if len(offsets) != len(set(offsets)):
            raise ValueError("rules must not repeat an offset_days")
        return self


class AutoRemindersOut(Output):
    enabled: bool
    template_id: str | None
    rules: list[ReminderRule]


class SettingsPatch(Input):
    """Any subset; ``null`` puts a field back to its default (``default_bank_account_id`` cannot be null)."""

    company_name: Name | None = None
    default_sender: Email | None = Field(default=None, description="A verified sender or the system sender.")
    reply_to: Email | None = None
    default_template_id: Id | None = None
    default_bank_account_id: Id | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64, examples=["Asia/Ho_Chi_Minh"])] | None = None
    locale: Locale | None = None
    auto_reminders: AutoReminders | None = Field(default=None, description="Replaces the whole object.")


class SettingsOut(Output):
    company_name: str
    default_sender: str
    reply_to: str | None
    default_template_id: str
    default_bank_account_id: str | None
    timezone: str
    locale: str
    currency: str
    auto_reminders: AutoRemindersOut
    version: int


# --- templates -------------------------------------------------------------------------------------

Subject = Annotated[str, Field(min_length=1, max_length=500)]
# Sized so that subject + html + text of Vietnamese text (up to 3 bytes a character) fit one 400 KB item.
Html = Annotated[str, Field(min_length=1, max_length=60_000)]
PlainText = Annotated[str, Field(min_length=1, max_length=30_000)]


class TemplateIn(Input):
    """A new template. With ``copy_from`` (any template id, built-ins included) omitted fields come from it."""

    name: Name | None = None
    subject: Subject | None = None
    html: Html | None = None
    text: PlainText | None = None
    locale: Locale | None = None
    is_default: bool = False
    copy_from: Id | None = None


class TemplatePatch(Input):
    name: Name | None = None
    subject: Subject | None = None
    html: Html | None = None
    text: PlainText | None = None
    locale: Locale | None = None
    is_default: bool | None = None


class TemplateOut(Output):
    id: str
    name: str
    subject: str
    html: str
    text: str
    locale: str
    is_default: bool
    is_builtin: bool
    created_at: str | None
    updated_at: str | None


# --- senders ---------------------------------------------------------------------------------------

class SenderIn(Input):
    email: Email


class SenderOut(Output):
    email: str
    status: str = Field(description="pending | verified | failed (as SES reports it)")
    is_system: bool
    created_at: str | None


# --- bank accounts ---------------------------------------------------------------------------------

_ACCOUNT_NAME = re.compile(r"^[A-Z ]{1,70}$")


def _account_name(value: str) -> str:
    """VietQR wants upper-case ASCII letters: 'Công ty Đại Việt' -> 'CONG TY DAI VIET'."""
    folded = " ".join(ascii_only(value).upper().split())
    if not folded or not _ACCOUNT_NAME.match(folded):
        raise ValueError("must be letters and spaces (Vietnamese is accepted and folded to upper-case ASCII)")
    return folded


BankBin = Annotated[str, Field(pattern=r"^\d{6}$", examples=["970436"])]
AccountNumber = Annotated[str, Field(pattern=r"^\d{6,19}$", examples=["0071000123456"],
                                     description="Digits only, 6 to 19 of them.")]
AccountName = Annotated[str, Field(min_length=1, max_length=70, examples=["CONG TY TNHH MINH ANH"],
                                   description="Folded to upper-case ASCII letters and spaces."),
                        AfterValidator(_account_name)]


class BankAccountIn(Input):
    bank_bin: BankBin
    bank_name: ShortText | None = Field(default=None, description="Defaults to the bank's short name.")
    account_number: AccountNumber
    account_name: AccountName
    is_default: bool = False


class BankAccountPatch(Input):
    bank_bin: BankBin | None = None
    bank_name: ShortText | None = None
    account_number: AccountNumber | None = None
    account_name: AccountName | None = None
    is_default: bool | None = None


class BankAccountOut(Output):
    id: str
    bank_bin: str
    bank_name: str
    account_number: str
    account_name: str
    is_default: bool
    created_at: str
    updated_at: str


class BankOut(Output):
    bin: str
    short_name: str
    name: str


# --- suppressions ----------------------------------------------------------------------------------

class SuppressionOut(Output):
    email: str
    reason: str
    created_at: str
    reminder_id: str | None

