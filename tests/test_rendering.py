"""The rendering module on its own (no AWS): sandbox, escaping, filters, errors with lines, the built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.domain import errors
from chalicelib.domain.rendering import (
    Rendered,
    TemplateSource,
    clear_cache,
    compile_check,
    format_date,
    render,
    sample_context,
)
from chalicelib.services.templates import builtins, load_builtins

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ customer['__class__'] }}",
    "{{ ''.__class__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__ }}",
    "{% if false %}{{ ''.__class__.__mro__ }}{% endif %}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ ''.format.__self__ }}",
    "{{ '{0.__class__.__mro__}'.format(customer) }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{% include '/etc/passwd' %}",
    "{% import 'x' as y %}",
    "{% extends 'base.html' %}",
]


def source(html: str = "<p>{{ customer.name }}</p>", *, subject: str = "Nhắc nợ {{ customer.name }}",
           text: str = "{{ customer.name }}", locale: str = "vi", key: str | None = None) -> TemplateSource:
    return TemplateSource(subject=subject, html=html, text=text, locale=locale,
                          key=key or f"test:{hash((subject, html, text, locale))}")


def context(**overrides: object) -> dict:
    return {**sample_context("vi"), **overrides}


@pytest.mark.parametrize("html", ESCAPES)
def test_sandbox_escape_attempts_are_refused_at_save_time(html):
    with pytest.raises(errors.ValidationFailed) as caught:
        compile_check(source(html=html))
    assert caught.value.status == 422
    assert caught.value.errors[0].field == "html"
    assert "line 1" in caught.value.errors[0].message


@pytest.mark.parametrize("part", ["subject", "text"])
def test_escape_attempts_are_refused_in_subject_and_text_too(part):
    fields = {"subject": "ok", "html": "ok", "text": "ok", part: "fine\n{{ cycler.__init__.__globals__ }}"}
    with pytest.raises(errors.ValidationFailed) as caught:
        compile_check(TemplateSource(**fields, locale="vi", key="k"))
    assert caught.value.errors[0].field == part
    assert "line 2" in caught.value.errors[0].message


@pytest.mark.parametrize("html", [
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__ }}",
    "line one\n{% if customer %}{{ ''.__class__ }}{% endif %}",
])
def test_escape_that_skipped_the_check_fails_safely_at_render(html):
    with pytest.raises(errors.ValidationFailed) as caught:
        render(source(html=html), context())
    assert caught.value.errors[0].field == "html"
    assert "not allowed" in caught.value.errors[0].message


def test_syntax_error_names_the_part_and_line():
    with pytest.raises(errors.ValidationFailed) as caught:
        compile_check(source(text="Kính gửi {{ customer.name }}\n\n{% for x in invoices %}\n{{ x.number }"))
    error = caught.value.errors[0]
    assert error.field == "text"
    assert "line 4" in error.message


def test_runtime_error_in_template_is_a_422_with_line():
    with pytest.raises(errors.ValidationFailed) as caught:
        compile_check(source(html="a\nb\n{{ amount / 0 }}"))
    assert caught.value.errors[0].field == "html"
    assert "line 3" in caught.value.errors[0].message


def test_attribute_of_an_undefined_variable_is_refused_at_save_time():
    with pytest.raises(errors.ValidationFailed) as caught:
        compile_check(source(html="{{ khach_hang.ten }}"))
    assert "khach_hang" in caught.value.errors[0].message


def test_undefined_variables_and_missing_fields_render_empty():
    result = render(source(html="[{{ nothing }}][{{ customer.no_such_field }}][{{ bank_account.bank_name }}]"),
                    context(bank_account=None))
    assert result.html == "[][][]"


def test_huge_outputs_and_ranges_are_refused():
    for html in ("{{ 'x' * 10000000 }}", "{% for i in range(100000000) %}{% endfor %}", "{{ 10 ** 100000 }}"):
        with pytest.raises(errors.ValidationFailed):
            compile_check(source(html=html))


def test_html_is_escaped_but_subject_and_text_are_not():
    evil = {**sample_context("vi")["customer"], "name": '<script>alert("x")</script> & Co'}
    result = render(source(), context(customer=evil))
    assert "<script>" not in result.html
    assert "&lt;script&gt;" in result.html
    assert "&amp; Co" in result.html
    assert result.text == '<script>alert("x")</script> & Co'
    assert result.subject == 'Nhắc nợ <script>alert("x")</script> & Co'


def test_subject_is_one_line_without_control_characters():
    evil = {**sample_context("vi")["customer"], "name": "A\r\nBcc: victim@example.com\x00\x07"}
    result = render(source(subject="Nhắc nợ\n{{ customer.name }}\t!"), context(customer=evil))
    assert "\n" not in result.subject and "\r" not in result.subject
    assert "\x00" not in result.subject and "\x07" not in result.subject
    assert result.subject == "Nhắc nợ A Bcc: victim@example.com !"


def test_money_and_date_filters_follow_the_template_locale():
    body = "{{ amount|money }} | {{ today|date }} | {{ invoices[0].due_date|date }}"
    vi = render(source(html=body, locale="vi"), context(amount=1_500_000))
    en = render(source(html=body, locale="en"), context(amount=1_500_000))
    assert vi.html == "1.500.000 ₫ | 04/12/2026 | 14/11/2026"
    assert en.html == "VND 1,500,000 | Dec 4, 2026 | Nov 14, 2026"


def test_filters_tolerate_missing_and_odd_values():
    assert render(source(html="[{{ none|money }}][{{ nothing|date }}][{{ 'abc'|money }}][{{ 'soon'|date }}]"),
                  context(none=None)).html == "[][][abc][soon]"
    assert format_date("2026-01-05T08:00:00Z", "vi") == "05/01/2026"


def test_compiled_templates_are_cached_by_key():
    clear_cache()
    first = render(source(html="v1 {{ amount }}", key="tpl_1:2026-12-04T00:00:00Z"), context(amount=1))
    # Same key, different text: the cache says the key names one version, so the compiled one is reused.
    second = render(source(html="v2 {{ amount }}", key="tpl_1:2026-12-04T00:00:00Z"), context(amount=2))
    third = render(source(html="v2 {{ amount }}", key="tpl_1:2026-12-04T00:00:01Z"), context(amount=3))
    assert (first.html, second.html, third.html) == ("v1 1", "v1 2", "v2 3")


def test_pay_url_is_available_and_optional():
    assert render(source(html="{% if pay_url %}{{ pay_url }}{% else %}none{% endif %}"), context()).html == "none"
    assert render(source(html="{{ pay_url }}"), context(pay_url="https://pay.example/x")).html == \
        "https://pay.example/x"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_builtin_templates_pass_the_check_and_render_every_part(locale):
    builtin = builtins()[f"builtin-{locale}"]
    src = TemplateSource(builtin.subject, builtin.html, builtin.text, locale, f"builtin-{locale}:test")
    compile_check(src)
    ctx = sample_context(locale)
    result = render(src, {**ctx, "amount": 5_000_000})
    assert isinstance(result, Rendered)
    money = "10.000.000 ₫" if locale == "vi" else "VND 10,000,000"
    for part in (result.html, result.text):
        assert ctx["customer"]["name"] in part
        assert "HD000123" in part and "DH-2026-045" in part
        assert money in part
        assert "0071000123456" in part and "CONG TY TNHH MINH ANH" in part and "Vietcombank" in part
        assert "KH00042 HD000123 HD000131" in part
        assert ctx["company"]["name"] in part
    assert "<table" in result.html
    assert ctx["customer"]["name"] in result.subject
    assert ("Kính gửi" if locale == "vi" else "Dear") in result.text
    assert ("20 ngày" if locale == "vi" else "20 days") in result.html
    assert ("5.000.000 ₫" if locale == "vi" else "VND 5,000,000") in result.text


def test_builtin_template_without_bank_account_still_asks_for_payment():
    builtin = builtins()["builtin-vi"]
    src = TemplateSource(builtin.subject, builtin.html, builtin.text, "vi", "builtin-vi:nobank")
    result = render(src, {**sample_context("vi"), "bank_account": None})
    assert "Số tài khoản" not in result.text
    assert "14.800.000 ₫" in result.text


def test_builtins_load_from_the_lambda_package_location(tmp_path):
    repo_root = Path(__file__).resolve().parent.parent / "templates"
    package_templates = tmp_path / "chalicelib" / "templates"
    for locale in ("vi", "en"):
        target = package_templates / "builtin" / locale
        target.mkdir(parents=True)
        for name in ("subject.txt", "body.html", "body.txt"):
            (target / name).write_text((repo_root / "builtin" / locale / name).read_text(encoding="utf-8"),
                                       encoding="utf-8")
    found = load_builtins([tmp_path / "templates", package_templates])
    assert set(found) == {"builtin-vi", "builtin-en"}
    assert found["builtin-vi"].html == builtins()["builtin-vi"].html
    with pytest.raises(FileNotFoundError):
        load_builtins([tmp_path / "nowhere"])
