"""Demo data for the local stack: one tenant with 30 Vietnamese customers and about 100 invoices.

Everything goes through the same services the API uses (``customers.create``, ``invoices.create``,
``invoices.record_payment``), so the demo receivables are exactly what the app would have computed.
Dates are relative to today in Asia/Ho_Chi_Minh, so the aging looks the same whichever day you run it:
some invoices are current, some overdue by 1 to 120 days, some paid in full or in part. A fixed random
seed keeps the data the same from run to run.

Importing this module imports ``chalicelib``: set the environment first (``infra.local`` does).
"""

from __future__ import annotations

import hashlib
import random
import re
import typing
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.domain.schemas.customers import CustomerIn
from chalicelib.domain.schemas.invoices import InvoiceIn, PaymentIn
from chalicelib.services import auth, customers, invoices, tenants
from chalicelib.store.tenants import Tenant

DEMO_TENANT_NAME = "Công ty Cổ phần Phân phối Sao Việt"
DEMO_REPLY_TO = "congno@saoviet.example.vn"
KEY_NAME = "Demo key (local)"
_PART = re.compile(r"^[A-Za-z0-9_-]+$")

# (code, company, contact, mailbox@domain, city) — names in the shapes Vietnamese companies really use.
CUSTOMERS: list[tuple[str, str, str, str, str]] = [
    ("KH001", "Công ty TNHH Thương mại Hoàng Long", "Nguyễn Văn Hùng", "ketoan@hoanglong-tm.vn", "hn"),
    ("KH002", "Công ty Cổ phần Xây dựng Minh Phát", "Trần Thị Mai", "congno@minhphat-xd.vn", "hcm"),
    ("KH003", "Công ty TNHH Thực phẩm Sài Gòn Xanh", "Lê Hoàng Nam", "ketoan@saigonxanh.com.vn", "hcm"),
    ("KH004", "Công ty Cổ phần Dược phẩm An Khang", "Phạm Thu Hà", "taichinh@ankhangpharma.vn", "hn"),
    ("KH005", "Công ty TNHH Nội thất Gỗ Việt", "Võ Minh Tuấn", "ketoan@goviet-noithat.vn", "hcm"),
    ("KH006", "Công ty TNHH Vận tải Biển Đông", "Đặng Quốc Bảo", "accounting@biendong-logistics.vn", "hp"),
    ("KH007", "Công ty Cổ phần Thép Tân Thành", "Bùi Thị Lan", "congno@theptanthanh.vn", "hn"),
    ("KH008", "Công ty TNHH Điện tử Phương Nam", "Huỳnh Văn Lộc", "ketoan@phuongnam-elec.vn", "hcm"),
    ("KH009", "Công ty TNHH May mặc Thành Công", "Ngô Thị Hồng", "ketoan@maythanhcong.vn", "hcm"),
    ("KH010", "Công ty Cổ phần Nhựa Bình Minh Xanh", "Đỗ Văn Thắng", "taichinh@nhuabinhminhxanh.vn", "hcm"),
    ("KH011", "Công ty TNHH Cà phê Tây Nguyên", "Y Bluêk Niê", "ketoan@caphetaynguyen.vn", "bmt"),
    ("KH012", "Công ty TNHH Du lịch Hạ Long Xanh", "Vũ Thị Thu", "ketoan@halongxanh-travel.vn", "ql"),
    ("KH013", "Công ty Cổ phần Thủy sản Cửu Long", "Trương Văn Phúc", "congno@thuysancuulong.vn", "ct"),
    ("KH014", "Công ty TNHH Bao bì Việt Hưng", "Lý Thị Ngọc", "ketoan@baobiviethung.vn", "hcm"),
    ("KH015", "Công ty TNHH Giải pháp Phần mềm Sông Hàn", "Phan Đức Anh", "finance@songhan-soft.vn", "dn"),
    ("KH016", "Công ty Cổ phần Vật liệu Xây dựng Đông Á", "Hồ Văn Sơn", "ketoan@vlxd-donga.vn", "dn"),
    ("KH017", "Công ty TNHH Phân bón Mekong", "Lâm Thị Kim", "ketoan@phanbonmekong.vn", "ct"),
    ("KH018", "Công ty TNHH Nhà hàng Phở Hà Thành", "Đinh Công Minh", "ketoan@phohathanh.vn", "hn"),
    ("KH019", "Công ty Cổ phần In ấn Trường Sơn", "Mai Thị Xuân", "congno@intruongson.vn", "hn"),
    ("KH020", "Công ty TNHH Thiết bị Y tế Hưng Thịnh", "Tạ Quang Huy", "ketoan@ytehungthinh.vn", "hcm"),
    ("KH021", "Công ty TNHH Kỹ thuật Điện lạnh Bắc Hà", "Kiều Văn Dũng", "ketoan@dienlanhbacha.vn", "hn"),
    ("KH022", "Công ty Cổ phần Gạch men Thanh Hải", "Lương Thị Hoa", "taichinh@gachthanhhai.vn", "hp"),
    ("KH023", "Công ty TNHH Văn phòng phẩm Hồng Hà Mới", "Châu Minh Trí", "ketoan@vpphongha-moi.vn", "hn"),
    ("KH024", "Công ty TNHH Nông sản Đà Lạt Xanh", "K'Brơi", "ketoan@dalatxanh-farm.vn", "dl"),
    ("KH025", "Hộ kinh doanh Tạp hóa Cô Ba", "Nguyễn Thị Ba", "taphoacoba@gmail.com", "hcm"),
    ("KH026", "Công ty Cổ phần Cơ khí Chính xác Việt Đức", "Tôn Thất Khoa", "ketoan@cokhivietduc.vn", "hue"),
    ("KH027", "Công ty TNHH Mỹ phẩm Ngọc Lan", "Quách Thị Ngọc", "ketoan@mypham-ngoclan.vn", "hcm"),
    ("KH028", "Công ty TNHH Sản xuất Giày da Phú Mỹ", "Dương Văn Tài", "congno@giaydaphumy.vn", "bd"),
    ("KH029", "Công ty Cổ phần Truyền thông Ánh Dương", "La Thị Thanh", "accounting@anhduong-media.vn", "hn"),
    ("KH030", "Công ty TNHH Xuất nhập khẩu Hải Phong", "Cao Văn Lực", "ketoan@haiphong-xnk.vn", "hp"),
]

# city -> (tax code prefix, landline area code, address pool)
CITIES: dict[str, tuple[str, str, list[str]]] = {
    "hn": ("01", "024", ["Số 12 Trần Hưng Đạo, Phường Phan Chu Trinh, Quận Hoàn Kiếm, Hà Nội",
                         "Tầng 5, 88 Láng Hạ, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
                         "Lô A2, KCN Quang Minh, Huyện Mê Linh, Hà Nội",
                         "45 Nguyễn Chí Thanh, Phường Ngọc Khánh, Quận Ba Đình, Hà Nội"]),
    "hcm": ("03", "028", ["135 Nam Kỳ Khởi Nghĩa, Phường Bến Thành, Quận 1, TP. Hồ Chí Minh",
                          "268 Tô Hiến Thành, Phường 15, Quận 10, TP. Hồ Chí Minh",
                          "Lô C5, KCN Tân Bình, Phường Tây Thạnh, Quận Tân Phú, TP. Hồ Chí Minh",
                          "22 Phạm Văn Đồng, Phường Hiệp Bình Chánh, TP. Thủ Đức, TP. Hồ Chí Minh"]),
    "hp": ("02", "0225", ["Số 6 Lê Hồng Phong, Phường Đông Khê, Quận Ngô Quyền, Hải Phòng",
                          "Lô CN3, KCN Đình Vũ, Phường Đông Hải 2, Quận Hải An, Hải Phòng"]),
    "dn": ("04", "0236", ["74 Bạch Đằng, Phường Hải Châu 1, Quận Hải Châu, Đà Nẵng",
                          "Đường số 3, KCN Hòa Khánh, Quận Liên Chiểu, Đà Nẵng"]),
    "ct": ("18", "0292", ["15 Hòa Bình, Phường Tân An, Quận Ninh Kiều, Cần Thơ",
                          "KCN Trà Nóc 1, Phường Trà Nóc, Quận Bình Thủy, Cần Thơ"]),
    "bmt": ("60", "0262", ["102 Lê Duẩn, Phường Tân Thành, TP. Buôn Ma Thuột, Đắk Lắk"]),
    "ql": ("57", "0203", ["Tổ 3, Khu 2, Phường Bãi Cháy, TP. Hạ Long, Quảng Ninh"]),
    "dl": ("58", "0263", ["27 Phù Đổng Thiên Vương, Phường 8, TP. Đà Lạt, Lâm Đồng"]),
    "hue": ("33", "0234", ["9 Hà Nội, Phường Phú Nhuận, TP. Huế, Thừa Thiên Huế"]),
    "bd": ("37", "0274", ["Lô D7, KCN VSIP II, Phường Hòa Phú, TP. Thủ Dầu Một, Bình Dương"]),
}

GOODS = ["Cung cấp thép cuộn cán nóng", "Vật tư bao bì carton 5 lớp", "Thiết bị điện lạnh và lắp đặt",
         "Phí vận chuyển container tháng", "Nguyên liệu cà phê nhân Robusta", "Dịch vụ bảo trì hệ thống",
         "Văn phòng phẩm quý", "Hạt nhựa PP nguyên sinh", "Gạch ốp lát 60x60", "Thuê phần mềm kế toán",
         "Hóa chất xử lý nước", "In ấn catalogue và tờ rơi", "Thiết bị y tế tiêu hao", "Linh kiện điện tử SMT"]
OVERDUE_DAYS = [3, 9, 17, 26, 38, 45, 52, 67, 74, 88, 96, 105, 113]


@dataclass
class Demo:
    """What the local stack prints: the tenant, its key, and a customer worth looking at."""

    tenant_id: str
    api_key: str
    showcase_customer_id: str = ""
    customers: int = 0
    invoices: int = 0
    payments: int = 0
    notes: list[str] = field(default_factory=list)


def key_from_setting(value: str) -> str:
    """A valid ``nk.<tenant>.<key>.<secret>`` key for ``NHACNO_DEMO_API_KEY``.

    A value already in that shape is used as is; anything else (``demo``, a passphrase) is turned into a
    key derived from it deterministically, so the same setting gives the same key on every run.
    """
    parts = value.split(".")
    if len(parts) == 4 and parts[0] == auth.PREFIX and all(_PART.match(part) for part in parts[1:]):
        return value
    digest = hashlib.sha256(f"nhacno-demo-key:{value}".encode()).hexdigest()
    return f"{auth.PREFIX}.ten_demo{digest[:10]}.key_demo{digest[10:20]}.{digest[20:52]}"


def create_tenant(fixed_key: str | None) -> tuple[str, str]:
    """The demo tenant and its key: a fresh one, or the one ``fixed_key`` names."""
    if not fixed_key:
        tenant, api_key = tenants.create(DEMO_TENANT_NAME)
        tenant_id = tenant.tenant_id
    else:
        api_key = fixed_key
        tenant_id = fixed_key.split(".")[1]
        # Mirrors tenants.create, whose ids are always fresh; here the key fixes the tenant id.
        Tenant(tenant_id, name=DEMO_TENANT_NAME, company_name=DEMO_TENANT_NAME,
               created_at=clock.now_iso()).save(condition=Tenant.tenant_id.does_not_exist())
        auth.install_key(tenant_id, api_key, KEY_NAME)
    Tenant(tenant_id).update(actions=[Tenant.reply_to.set(DEMO_REPLY_TO)])
    tenants.forget(tenant_id)
    return tenant_id, api_key


def _customer_input(index: int, row: tuple[str, str, str, str, str], rng: random.Random) -> CustomerIn:
    code, name, contact, email, city = row
    tax_prefix, area, addresses = CITIES[city]
    tax_code = f"{tax_prefix}{rng.randrange(10**7, 10**8):08d}"
    if index % 4 == 0:
        tax_code += f"-{rng.randrange(1, 20):03d}"  # a branch (chi nhánh) has a 13-digit code
    mobile = f"09{rng.randrange(10**7, 10**8)}"
    phone = mobile if index % 3 == 0 else f"{area} {rng.randrange(3000, 3999)} {rng.randrange(1000, 9999)}"
    emails = [email.lower()]
    if index % 5 == 1:
        emails.append(f"giamdoc@{email.split('@')[1].lower()}")
    return CustomerIn(code=code, name=name, emails=emails, phone=phone, tax_code=tax_code,
                      address=rng.choice(addresses), contact_name=contact,
                      note="Khách hàng thân thiết, thanh toán chuyển khoản" if index % 7 == 0 else None,
                      locale="en" if index == 14 else "vi")


@dataclass
class _Plan:
    """One invoice to create, and the payments to record on it."""

    data: InvoiceIn
    payments: list[PaymentIn]


def _amount(rng: random.Random) -> int:
    return rng.choice([2, 3, 5, 8, 12, 15, 25, 40, 60, 90, 150]) * 1_000_000 + rng.randrange(0, 100) * 10_000


def _plan_invoices(index: int, customer_id: str, today: date, rng: random.Random) -> list[_Plan]:
    """3-4 invoices per customer; the kind of each is dealt so every aging bucket has customers."""
    kinds = {0: ["paid", "paid", "current"], 1: ["overdue", "current", "paid"], 2: ["overdue", "overdue", "partial"],
             3: ["current", "current", "paid", "overdue"], 4: ["partial", "overdue", "paid", "current"]}[index % 5]
    if index % 10 == 9:
        kinds = ["paid", "paid", "paid"]  # settled customers show up under status=all only
    plans = []
    for position, kind in enumerate(kinds, start=1):
        amount = _amount(rng)
        if kind == "current":
            due = today + timedelta(days=rng.randrange(1, 30))
        else:
            # Spread overdue ages across every bucket up to 120 days (one invoice exactly at 120).
            days = 120 if (index, position) == (2, 1) else rng.choice(OVERDUE_DAYS)
            due = today - timedelta(days=days)
        issue = due - timedelta(days=rng.choice([15, 30, 30, 45]))
        data = InvoiceIn(customer_id=customer_id, number=f"HD{issue.year}-{index + 1:02d}{position:02d}",
                         order_ref=f"DH-{issue:%y%m}-{rng.randrange(100, 999)}", issue_date=issue, due_date=due,
                         amount=amount, description=f"{rng.choice(GOODS)} theo đơn hàng")
        payments: list[PaymentIn] = []
        paid_on = min(today, due + timedelta(days=rng.randrange(-5, 10)))
        reference = f"FT{paid_on:%y%m%d}{rng.randrange(10**6, 10**7)}"
        if kind == "paid":
            payments.append(PaymentIn(amount=amount, paid_on=max(paid_on, issue), reference=reference))
        elif kind == "partial":
            part = amount // 2 // 10_000 * 10_000
            payments.append(PaymentIn(amount=part, paid_on=max(min(today, due), issue), method="bank_transfer",
                                      reference=reference))
        plans.append(_Plan(data, payments))
    return plans


def _seed_customer(tenant_id: str, index: int, row: tuple[str, str, str, str, str], today: date
                   ) -> tuple[str, int, int]:
    rng = random.Random(f"nhacno-demo-{index}")
    customer = customers.create(tenant_id, _customer_input(index, row, rng))
    made = paid = 0
    for plan in _plan_invoices(index, customer.customer_id, today, rng):
        invoice = invoices.create(tenant_id, plan.data)
        made += 1
        for payment in plan.payments:
            invoices.record_payment(tenant_id, invoice.invoice_id, payment)
            paid += 1
    return customer.customer_id, made, paid


def seed_bank_account(tenant_id: str) -> str | None:
    """A default bank account through the bank accounts service, if that service exists yet.

    Returns a note to print when it could not be done. The service belongs to another part of the
    code base; its input model is read from ``create``'s type hints rather than imported by name.
    """
    try:
        from chalicelib.services import bank_accounts  # type: ignore[attr-defined]
    except ImportError:
        return "Bank accounts service not available yet (chalicelib/services/bank_accounts.py): no demo bank account."
    try:
        create = bank_accounts.create
        hints = typing.get_type_hints(create)
        model = next(hint for name, hint in hints.items() if name not in ("tenant_id", "return"))
        data = model(bank_bin="970436", bank_name="Vietcombank", account_number="0071001234567",
                     account_name="CONG TY CP PHAN PHOI SAO VIET", is_default=True)
        create(tenant_id, data)
    except Exception as exc:  # the other service's shape may differ; the demo still works without it
        return f"Could not seed a demo bank account ({type(exc).__name__}: {exc})."
    return None


def seed_demo(fixed_key: str | None = None) -> Demo:
    """Create the demo tenant and its data; about a second against the local moto server."""
    tenant_id, api_key = create_tenant(fixed_key)
    demo = Demo(tenant_id=tenant_id, api_key=api_key)
    today = tenants.today(tenant_id)
    # One customer after another: moto is single-threaded underneath, so threads would not go faster.
    results = [_seed_customer(tenant_id, index, row, today) for index, row in enumerate(CUSTOMERS)]
    for _customer_id, made, paid in results:
        demo.customers += 1
        demo.invoices += made
        demo.payments += paid
    demo.showcase_customer_id = _most_overdue(tenant_id, [r[0] for r in results], today)
    note = seed_bank_account(tenant_id)
    if note:
        demo.notes.append(note)
    return demo


def _most_overdue(tenant_id: str, customer_ids: list[str], today: date) -> str:
    rows: list[dict[str, Any]] = [customers.receivable_row(customers.get(tenant_id, cid), today)
                                  for cid in customer_ids]
    return max(rows, key=lambda row: (row["max_days_overdue"], row["outstanding"]))["customer_id"]
