"""Email templates: checked when saved, rendered in Jinja2's sandbox when previewed or sent.

Templates are written by tenants, so they are untrusted code. They run in ``SandboxedEnvironment``
with HTML autoescape on for the html body (customer data in an email is always escaped) and off for
the subject and the plain text. Reaching for an unsafe attribute (``''.__class__``,
``cycler.__init__.__globals__``) raises at once instead of quietly rendering empty, so
``compile_check`` refuses such a template when it is saved (422 with the line) and ``render`` fails
with a clean ``ValidationFailed`` if one slips through (e.g. behind an ``{% if %}`` the sample data
does not take). Undefined variables and missing attributes render empty: a typo in a variable
name must not stop a reminder, and the preview shows the gap.

Compiled templates are cached per ``TemplateSource.key`` (which names one version of a template),
so a worker sending a batch compiles each template once.
"""

from __future__ import annotations

import math
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from chalicelib.domain import errors
from chalicelib.domain.money import format_money
from chalicelib.domain.text import one_line

PARTS = ("subject", "html", "text")
CACHE_SIZE = 128
# Bounds on what one render may produce, so a hostile template cannot exhaust a worker's memory.
MAX_OUTPUT_CHARS = 1_000_000
MAX_SEQUENCE = 100_000
MAX_RANGE = 1_000
MAX_POWER_BITS = 4096  # a power beyond ~1,200 digits is no amount of money
_TEMPLATE_FILENAME = "<template>"
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class TemplateSource:
    """One version of a template; ``key`` names that version (e.g. ``f"{template_id}:{updated_at}"``)."""

    subject: str
    html: str
    text: str
    locale: str
    key: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


# --- filters ---------------------------------------------------------------------------------------

def money_filter(locale: str) -> Callable[..., str]:
    def money(value: Any, currency: str = "VND") -> str:
        if value is None or isinstance(value, Undefined):
            return ""
        if isinstance(value, bool):
            return str(value)
        try:
            amount = value if isinstance(value, int) else round(float(value))
        except (TypeError, ValueError, OverflowError):
            return str(value)
        return format_money(amount, locale, str(currency))

    return money


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def format_date(value: Any, locale: str) -> str:
    """``04/12/2026`` in Vietnamese, ``Dec 4, 2026`` in English; anything unparseable as it is."""
    if value is None or isinstance(value, Undefined):
        return ""
    day = _as_date(value)
    if day is None:
        return str(value)
    if locale == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


# --- the sandbox -----------------------------------------------------------------------------------

class _Sandbox(SandboxedEnvironment):
    """The stock sandbox, stricter: unsafe attributes raise, and sizes are bounded."""

    intercepted_binops = frozenset(["*", "**"])

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # The stock sandbox returns an Undefined that renders empty; refusing at once is what lets
        # compile_check see every escape attempt that the sample data reaches.
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent too large")
            # Chained powers multiply exponents ((9 ** 64) ** 64 ** 64 has 10**7 digits): bound the result too.
            if isinstance(left, int | float) and abs(left) > 1 and isinstance(right, int | float) and \
                    right * math.log2(abs(left)) > MAX_POWER_BITS:
                raise SecurityError("number too large")
            return left**right
        if isinstance(left, str | list | tuple) and isinstance(right, int) and len(left) * right > MAX_SEQUENCE:
            raise SecurityError("sequence too long")
        if isinstance(right, str | list | tuple) and isinstance(left, int) and len(right) * left > MAX_SEQUENCE:
            raise SecurityError("sequence too long")
        return left * right


def _bounded_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise SecurityError(f"range is limited to {MAX_RANGE} items")
    return found


@lru_cache(maxsize=8)
def _environment(locale: str, html: bool) -> SandboxedEnvironment:
    env = _Sandbox(autoescape=html, undefined=Undefined, keep_trailing_newline=True, auto_reload=False)
    env.filters["money"] = money_filter(locale)
    env.filters["date"] = lambda value: format_date(value, locale)
    env.globals["range"] = _bounded_range
    return env


_cache: OrderedDict[tuple[str, str, str], Template] = OrderedDict()
_cache_lock = threading.Lock()


def _compiled(source: TemplateSource, part: str) -> Template:
    cache_key = (source.key, source.locale, part)
    with _cache_lock:
        found = _cache.get(cache_key)
        if found is not None:
            _cache.move_to_end(cache_key)
            return found
    template = _compile(source, part)
    with _cache_lock:
        _cache[cache_key] = template
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return template


def _compile(source: TemplateSource, part: str) -> Template:
    env = _environment(source.locale, part == "html")
    try:
        return env.from_string(getattr(source, part))
    except TemplateSyntaxError as exc:
        raise _failure(part, exc.lineno, exc.message or str(exc)) from None


def _run(template: Template, context: dict[str, Any], part: str) -> str:
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _failure(part, None, f"the rendered {part} is longer than {MAX_OUTPUT_CHARS} characters")
            out.append(chunk)
    except errors.ValidationFailed:
        raise
    except SecurityError as exc:
        raise _failure(part, _template_line(exc), f"not allowed in a template: {exc}") from None
    except TemplateError as exc:
        raise _failure(part, _template_line(exc), exc.message or str(exc)) from None
    except (RecursionError, MemoryError):
        raise _failure(part, None, "the template is too complex to render") from None
    except Exception as exc:  # anything a template expression can raise (1/0, bad types): the template's fault
        raise _failure(part, _template_line(exc), f"{type(exc).__name__}: {exc}") from None
    return "".join(out)


def _template_line(exc: BaseException) -> int | None:
    """The template line an error happened on: Jinja rewrites tracebacks to show template frames."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == _TEMPLATE_FILENAME:
            line = frame.lineno
    return line


def _failure(part: str, line: int | None, message: str) -> errors.ValidationFailed:
    where = f"line {line}: " if line else ""
    text = f"{where}{message}"
    return errors.ValidationFailed(detail=f"{part}: {text}", errors=[errors.FieldError(part, text)])


# --- static check ----------------------------------------------------------------------------------

def _static_check(env: SandboxedEnvironment, text: str, part: str) -> None:
    """Refuse unsafe names anywhere in the template, including branches the sample data never takes."""
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        raise _failure(part, exc.lineno, exc.message or str(exc)) from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Name):
            name = node.name
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            first = node.args[0]
            name = first.value if isinstance(first, nodes.Const) and isinstance(first.value, str) else None
        if name and name.startswith("_"):
            raise _failure(part, node.lineno, f"not allowed in a template: {name!r} (names starting with _)")
    for tag in (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport):
        found = next(iter(tree.find_all(tag)), None)
        if found is not None:
            raise _failure(part, found.lineno, "templates cannot include, import or extend other templates")


# --- the API ---------------------------------------------------------------------------------------

def compile_check(source: TemplateSource) -> None:
    """422 (``ValidationFailed``, field and line) unless every part compiles and renders the sample safely."""
    if source.locale not in ("vi", "en"):
        raise errors.invalid("locale", "must be vi or en")
    context = sample_context(source.locale)
    for part in PARTS:
        env = _environment(source.locale, part == "html")
        _static_check(env, getattr(source, part), part)
        template = _compile(source, part)
        _run(template, context, part)


def render(source: TemplateSource, context: dict[str, Any]) -> Rendered:
    """Render all three parts; a template that fails raises ``ValidationFailed`` naming the part and line."""
    values = {"pay_url": None, "qr_src": None, **context}
    subject = _run(_compiled(source, "subject"), values, "subject")
    html = _run(_compiled(source, "html"), values, "html")
    text = _run(_compiled(source, "text"), values, "text")
    return Rendered(subject=one_line(subject), html=html, text=text)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def sample_context(locale: str) -> dict[str, Any]:
    """A full context with every variable a template may use, for save-time checks and previews."""
    vi = locale == "vi"
    invoices = [
        {"id": "inv_sample1", "number": "HD000123", "order_ref": "DH-2026-045", "issue_date": "2026-10-15",
         "due_date": "2026-11-14", "amount": 12_500_000, "amount_paid": 2_500_000, "outstanding": 10_000_000,
         "days_overdue": 20, "status": "partially_paid", "description": None},
        {"id": "inv_sample2", "number": "HD000131", "order_ref": None, "issue_date": "2026-11-01",
         "due_date": "2026-12-01", "amount": 4_800_000, "amount_paid": 0, "outstanding": 4_800_000,
         "days_overdue": 3, "status": "unpaid", "description": None},
    ]
    total = sum(item["outstanding"] for item in invoices)
    return {
        "company": {"name": "Công ty TNHH Minh Anh" if vi else "Minh Anh Co., Ltd.",
                    "reply_to": "ketoan@minhanh.vn"},
        "customer": {
            "id": "cus_sample", "code": "KH00042", "name": "Công ty Cổ phần Bình Minh" if vi else "Binh Minh JSC",
            "emails": ["ketoan@binhminh.vn"], "phone": "0901234567", "tax_code": "0312345678",
            "address": "12 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh", "contact_name": "Chị Lan", "note": None,
            "locale": locale, "outstanding": total, "overdue_amount": total, "open_invoices": len(invoices),
            "oldest_due_date": "2026-11-14", "max_days_overdue": 20, "last_reminded_at": None,
            "reminder_count": 0, "credit": 0, "reminders_paused": False,
        },
        "invoices": invoices,
        "amount": total,
        "total_outstanding": total,
        "bank_account": {"bank_name": "Vietcombank", "account_number": "0071000123456",
                         "account_name": "CONG TY TNHH MINH ANH", "bank_bin": "970436"},
        "payment_memo": "KH00042 HD000123 HD000131",
        "today": "2026-12-04",
        "pay_url": None,
        "qr_src": None,
    }
