"""Demo customers for `make run`: about 200 customers in Gold / Silver / Employees, two business
accounts, addresses in Canada and the US, stored sandbox cards. Idempotent: rows are keyed by
logon ID, segment code and account number, so a second run adds nothing."""

import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from core.app_data import DemoData
from core.events import EventType
from customers.load_data import CA_CITIES, FIRST, STREETS, US_CITIES, _last_names, _postal
from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    Organization,
    PaymentMethod,
    Segment,
    digits_only,
)

COUNT = 200
SEGMENTS = [
    ("gold", "Gold", "Best customers: Gold price list and promotions"),
    ("silver", "Silver", "Frequent customers"),
    ("employees", "Employees", "Staff purchases"),
]
# (number, name, credit limit). Maple Leaf's limit is low enough to see a credit-limit hold
# (issue 16): pat.buyer's released demo order (fulfillment's demo, about 400.00) is open, so a
# new order of 110.00 or more goes over it. Cascade Schools has no limit.
ORGANIZATIONS = [
    ("ACC-10001", "Maple Leaf Office Supply Co.", Decimal("500.00")),
    ("ACC-20002", "Cascade Schools", None),
]
# People the docs and the screens use as examples.
KNOWN = [
    ("jane.roe", "Jane", "Roe", "+15550102233", "gold", None, True, ""),
    ("john.smith", "John", "Smith", "+14165550199", "silver", None, True, ""),
    ("ava.chen", "Ava", "Chen", "+16045550142", "employees", None, True, ""),
    ("pat.buyer", "Pat", "Buyer", "+16135550177", None, "ACC-10001", True, ""),
    ("sam.locked", "Sam", "Locked", "+15145550123", None, None, False, "Chargeback under review"),
]
DEMO_CUSTOMER_PASSWORD = "demo-customer-2026"


def _customers(rng: random.Random):
    yield from KNOWN
    last_names = _last_names(random.Random(7))[:300]
    for n in range(len(KNOWN), COUNT):
        first, last = rng.choice(FIRST), rng.choice(last_names)
        area = rng.choice([c[3] for c in CA_CITIES + US_CITIES])
        segment = rng.choice(["gold"] * 2 + ["silver"] * 4 + ["employees"] + [None] * 8)
        org = rng.choice(["ACC-10001", "ACC-20002"]) if rng.random() < 0.1 else None
        yield (
            f"{first.lower()}.{last.lower()}{n}",
            first,
            last,
            f"+1{area}555{rng.randint(0, 9999):04d}",
            segment,
            org,
            True,
            "",
        )


@transaction.atomic
def load(log) -> None:
    segments = {}
    for code, name, description in SEGMENTS:
        segments[code], _ = Segment.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
    organizations = {}
    for number, name, credit_limit in ORGANIZATIONS:
        organizations[number], _ = Organization.objects.get_or_create(
            account_number=number, defaults={"name": name, "credit_limit": credit_limit}
        )
    existing = set(Customer.objects.values_list("logon_id", flat=True))
    password = None
    created = 0
    people = _customers(random.Random(2026))
    for n, (logon, first, last, phone, segment, org, enabled, reason) in enumerate(people):
        if logon in existing:
            continue
        rng = random.Random(n)  # per customer, so a rerun draws the same values
        canadian = rng.random() < 0.65
        password = password or make_password(DEMO_CUSTOMER_PASSWORD)
        customer = Customer.objects.create(
            logon_id=logon,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{logon}@example.com",
            phone=phone,
            preferred_currency=settings.STORE_CURRENCY,  # the store prices in one currency
            organization=organizations.get(org),
            is_enabled=enabled,
            disabled_reason=reason,
        )
        if segment:
            customer.segments.add(segments[segment])
        addresses = []
        for i, nickname in enumerate(
            ["Home", "Work", "Cottage"][: 1 + (n % 3 == 0) + (n % 7 == 0)]
        ):
            city, region, prefix, _area = rng.choice(CA_CITIES if canadian else US_CITIES)
            postal = _postal(rng, "CA" if canadian else "US", prefix)
            addresses.append(
                Address.objects.create(
                    customer=customer,
                    nickname=nickname,
                    first_name=first,
                    last_name=last,
                    line1=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                    city=city,
                    region=region,
                    postal_code=postal,
                    country="CA" if canadian else "US",
                    is_default_billing=i == 0,
                    is_default_shipping=i == 0,
                )
            )
        if n % 4 == 0:
            visa = n % 8 == 0
            PaymentMethod.objects.create(
                customer=customer,
                gateway_token=f"sbx_approve_demo{n:04d}",
                brand="visa" if visa else "mastercard",
                last4="4242" if visa else "4444",
                exp_month=rng.randint(1, 12),
                exp_year=2028 + n % 4,
                billing_address=addresses[0],
                is_default=True,
            )
        CustomerEvent.objects.create(
            customer=customer,
            event_type=EventType.CUSTOMER_CREATED,
            summary=f"Created {customer.full_name} ({logon}) by the demo data",
            data={"source": "demo"},
        )
        assert digits_only(customer.phone) == customer.phone_digits
        created += 1
    log(
        f"  {created} customers created, {len(existing)} kept; segments: "
        + ", ".join(s.name for s in segments.values())
        + f"; customer password: {DEMO_CUSTOMER_PASSWORD}"
    )


DEMO = DemoData(load=load)
