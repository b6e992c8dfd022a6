"""Properties of the pure domain, checked by Hypothesis (derandomized: the same examples every run).

Money formatting, aging, transfer memos and VietQR payloads: what must hold for every input, not just
the handful of examples the unit tests pick.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import aging, vietqr
from chalicelib.domain.memo import MAX_LENGTH, payment_memo, reminder_code
from chalicelib.domain.money import format_money

settings.register_profile("nhacno", derandomize=True, max_examples=100, deadline=None, database=None)
settings.load_profile("nhacno")

money = st.integers(min_value=-(10**15), max_value=10**15)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
ULID_CHARS = "0123456789abcdefghjkmnpqrstvwxyz"
reminder_ids = st.text(alphabet=ULID_CHARS, min_size=26, max_size=26).map(lambda s: f"rem_{s}")
customer_codes = st.text(min_size=0, max_size=60)


# --- money -----------------------------------------------------------------------------------------

@given(money)
def test_money_in_vietnamese_groups_digits_by_dots_and_reads_back_to_the_amount(amount):
    text = format_money(amount, "vi")
    assert text.endswith(" ₫")
    number = text[:-2]
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})*", number), text
    assert int(number.replace(".", "")) == amount


@given(money)
def test_money_in_english_groups_digits_by_commas_and_reads_back_to_the_amount(amount):
    text = format_money(amount, "en")
    assert text.startswith("VND ")
    number = text[4:]
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", number), text
    assert int(number.replace(",", "")) == amount


@given(money)
def test_vietnamese_and_english_show_the_same_digits(amount):
    assert re.sub(r"\D", "", format_money(amount, "vi")) == re.sub(r"\D", "", format_money(amount, "en"))


# --- aging -----------------------------------------------------------------------------------------

due_maps = st.dictionaries(days.map(date.isoformat), st.integers(min_value=-10**9, max_value=10**12), max_size=30)


@given(due_maps, days)
def test_aging_buckets_sum_to_outstanding_and_overdue_is_the_part_past_due(due_map, today):
    result = aging.age(due_map, today)
    positive = {due: amount for due, amount in due_map.items() if amount > 0}
    assert sum(result.buckets.values()) == result.outstanding == sum(positive.values())
    assert result.overdue_amount == result.outstanding - result.buckets["current"]
    assert result.overdue_amount == sum(a for due, a in positive.items() if date.fromisoformat(due) < today)
    assert result.oldest_due_date == (min(positive) if positive else None)
    assert result.max_days_overdue == (aging.days_overdue(min(positive), today) if positive else 0)


@given(days, days, st.integers(min_value=0, max_value=4000))
def test_days_overdue_never_decreases_as_today_moves_on(due, today, later):
    tomorrowish = today + timedelta(days=later)
    assert aging.days_overdue(due, tomorrowish) >= aging.days_overdue(due, today) >= 0
    assert aging.days_overdue(due, tomorrowish) - aging.days_overdue(due, today) <= later


@given(due_maps, days, st.integers(min_value=1, max_value=400))
def test_money_only_moves_to_older_buckets_as_time_passes(due_map, today, later):
    order = list(aging.BUCKETS)
    before, after = aging.age(due_map, today), aging.age(due_map, today + timedelta(days=later))
    assert after.outstanding == before.outstanding
    for i in range(len(order)):  # what sits in bucket i or younger can only shrink
        assert sum(after.buckets[b] for b in order[:i + 1]) <= sum(before.buckets[b] for b in order[:i + 1])


# --- memo ------------------------------------------------------------------------------------------

@given(customer_codes, reminder_ids)
def test_memo_is_printable_ascii_at_most_25_characters_and_stable(code, reminder_id):
    memo = payment_memo(code, reminder_id)
    assert memo == payment_memo(code, reminder_id)
    assert len(memo) <= MAX_LENGTH
    assert re.fullmatch(r"[A-Z0-9]+( [A-Z0-9]+)?", memo), memo
    assert memo.endswith("NN" + reminder_code(reminder_id))


@given(customer_codes, st.lists(reminder_ids, min_size=2, max_size=50, unique_by=reminder_code))
def test_memos_differ_for_reminders_with_different_codes(code, ids):
    memos = [payment_memo(code, rid) for rid in ids]
    assert len(set(memos)) == len(memos)


def test_memos_of_freshly_made_reminder_ids_are_unique():
    from chalicelib.adapters import ids

    made = [ids.new_id("rem") for _ in range(20_000)]
    assert len({payment_memo("KH-001", rid) for rid in made}) == len(made)


# --- VietQR ----------------------------------------------------------------------------------------

def parse_tlv(text: str) -> list[tuple[str, str]]:
    """Split an EMVCo payload into (id, value), checking every length field on the way."""
    fields, i = [], 0
    while i < len(text):
        tag, length = text[i:i + 2], int(text[i + 2:i + 4])
        value = text[i + 4:i + 4 + length]
        assert len(value) == length, (tag, length, value)
        fields.append((tag, value))
        i += 4 + length
    assert i == len(text)
    return fields


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, written independently of the module under test."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(8):
            top = bool(crc & 0x8000) ^ bool(byte & (0x80 >> bit))
            crc = ((crc << 1) & 0xFFFF) ^ (0x1021 if top else 0)
    return crc


bins = st.text(alphabet="0123456789", min_size=6, max_size=6)
accounts = st.text(alphabet="0123456789ABCDEFabcdef", min_size=1, max_size=19)
amounts = st.none() | st.integers(min_value=1, max_value=10**13 - 1)
memos = st.none() | st.text(max_size=80)


def test_crc_matches_the_published_check_value():
    assert crc16(b"123456789") == 0x29B1
    assert vietqr.crc16_ccitt_false("123456789") == "29B1"


@given(bins, accounts, amounts, memos)
def test_vietqr_payload_has_exact_lengths_a_valid_crc_and_carries_amount_and_memo(bank_bin, account, amount, memo):
    text = vietqr.payload(bank_bin, account, amount=amount, memo=memo)
    assert text.isascii()
    fields = parse_tlv(text)
    assert fields[-1][0] == "63" and len(fields[-1][1]) == 4
    assert int(fields[-1][1], 16) == crc16(text[:-4].encode())
    by_tag = dict(fields)
    assert by_tag["00"] == "01" and by_tag["53"] == "704" and by_tag["58"] == "VN"
    assert by_tag["01"] == ("12" if amount is not None else "11")
    merchant = dict(parse_tlv(by_tag["38"]))
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert dict(parse_tlv(merchant["01"])) == {"00": bank_bin, "01": account}
    if amount is None:
        assert "54" not in by_tag
    else:
        assert int(by_tag["54"]) == amount
    cleaned = vietqr.clean_memo(memo)
    assert len(cleaned) <= 25 and cleaned.isascii()
    if cleaned:
        assert dict(parse_tlv(by_tag["62"])) == {"08": cleaned}
    else:
        assert "62" not in by_tag


@given(customer_codes, reminder_ids)
def test_a_reminders_memo_survives_the_vietqr_payload_unchanged(code, reminder_id):
    memo = payment_memo(code, reminder_id)
    fields = dict(parse_tlv(vietqr.payload("970436", "0071000123456", amount=1_500_000, memo=memo)))
    assert dict(parse_tlv(fields["62"]))["08"] == memo


@given(st.integers(min_value=0, max_value=60), st.sampled_from("0123456789"))
def test_changing_any_one_character_breaks_the_crc(position, digit):
    text = vietqr.payload("970436", "0071000123456", amount=1_500_000, memo="KH001 NNABCDEFGH")
    position = position % (len(text) - 4)
    flipped = text[:position] + (digit if text[position] != digit else "X") + text[position + 1:]
    assert int(flipped[-4:], 16) != crc16(flipped[:-4].encode())
