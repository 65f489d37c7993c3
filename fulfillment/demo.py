"""Demo fulfillment: Toronto and Vancouver, who ships what where, stock for the demo SKUs, and
a few orders already released (on the pick list), one of them shipped, so the Operations screens
have something to show.

Idempotent: rows are found by their natural keys; stock numbers are set only when a row is
first created, so a second run (or stock moved by demo orders) is left alone; the released
orders are placed only when the demo CSR has none for their customers yet.
"""

import hashlib
from datetime import timedelta

from django.utils import timezone

from catalog.models import SKU
from core.app_data import DemoData
from core.jobs import run_job
from customers.models import Customer
from fulfillment.models import (
    ExpectedInventory,
    FulfillmentCenter,
    FulfillmentSettings,
    Inventory,
    Release,
    ShippingArrangement,
    Vendor,
)
from fulfillment.shipping import confirm_shipment
from orders.demo import place_demo_order
from orders.models import Order
from pricing.models import ShippingMethod

CENTERS = [
    # code, name, line1, city, region, postal, time zone, precedence
    ("TOR", "Toronto", "100 Logistics Dr", "Toronto", "ON", "M9W 1A1", "America/Toronto", 1),
    ("VAN", "Vancouver", "8 Harbour Rd", "Vancouver", "BC", "V6B 1A1", "America/Vancouver", 2),
]
METHODS = [("ground", "Ground"), ("express", "Express"), ("overnight", "Overnight")]
WEST = ["BC", "AB", "SK", "MB", "YT", "NT"]
US_WEST = ["WA", "OR", "CA", "NV", "ID", "AK"]
VENDORS = [("NWPAPER", "Northwind Paper Mills"), ("INKCO", "Pacific Ink Co.")]
# Orders placed, released and (the first) shipped by the demo: customer, [(SKU index, quantity)]
# into the well-stocked demo SKUs. Not jane.roe or john.smith: the orders demo places theirs.
RELEASED_ORDERS = [
    ("ava.chen", [(0, 2), (1, 3)]),
    ("pat.buyer", [(2, 1), (3, 4), (4, 2)]),
    ("ava.chen", [(5, 1)]),
]


def _arrangements():
    """(center, method, country, region, precedence): lower precedence wins."""
    rows = []
    for method in ("ground", "express"):
        rows.append(("TOR", method, "CA", "", 20))  # Toronto ships all of Canada
        rows.append(("VAN", method, "CA", "", 30))  # ... and Vancouver as a fallback
        rows += [("VAN", method, "CA", region, 10) for region in WEST]  # the west from VAN
        rows.append(("TOR", method, "US", "", 20))
        rows += [("VAN", method, "US", state, 10) for state in US_WEST]
    # overnight only near a center
    rows += [("TOR", "overnight", "CA", region, 10) for region in ("ON", "QC")]
    rows += [("VAN", "overnight", "CA", region, 10) for region in ("BC", "AB")]
    return rows


def _stock_for(code: str) -> tuple[int, int, int | None]:
    """Deterministic stock per SKU code: (Toronto, Vancouver, expected in N days or None)."""
    h = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16)
    bucket = h % 10
    if bucket == 0:  # out of stock, more coming next week
        return 0, 0, 7
    if bucket == 1:  # low in Toronto only
        return 2, 0, 10
    if bucket == 2:  # low everywhere
        return 1, 1, None
    return 20 + h % 180, 10 + (h // 7) % 60, None


def load(log) -> None:
    FulfillmentSettings.objects.get_or_create(pk=1)
    centers = {}
    for code, name, line1, city, region, postal, tz, precedence in CENTERS:
        centers[code], created = FulfillmentCenter.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "line1": line1,
                "city": city,
                "region": region,
                "postal_code": postal,
                "country": "CA",
                "time_zone": tz,
                "precedence": precedence,
            },
        )
        log(f"  {'created' if created else 'kept'} center {code}")
    methods = {}
    for code, name in METHODS:
        methods[code], _ = ShippingMethod.objects.get_or_create(code=code, defaults={"name": name})
    added = 0
    for center, method, country, region, precedence in _arrangements():
        _, created = ShippingArrangement.objects.get_or_create(
            center=centers[center],
            shipping_method=methods[method],
            country=country,
            region=region,
            postal_prefix="",
            defaults={"precedence": precedence},
        )
        added += created
    log(f"  {added} shipping arrangements added")
    vendors = [
        Vendor.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in VENDORS
    ]
    today = timezone.localdate()
    stocked = expected = 0
    skus = SKU.objects.filter(kind="item").order_by("code").values_list("pk", "code")
    existing = set(Inventory.objects.values_list("sku_id", "center_id"))
    new_rows = []
    for i, (sku_id, code) in enumerate(skus):
        tor, van, days = _stock_for(code)
        for center, qty in (("TOR", tor), ("VAN", van)):
            if (sku_id, centers[center].pk) not in existing:
                new_rows.append(Inventory(sku_id=sku_id, center=centers[center], on_hand=qty))
        if days is not None:
            _, created = ExpectedInventory.objects.get_or_create(
                vendor=vendors[i % 2],
                sku_id=sku_id,
                center=centers["TOR"],
                reference=f"PO-DEMO-{code}",
                defaults={"quantity": 24, "expected_date": today + timedelta(days=days)},
            )
            expected += created
    Inventory.objects.bulk_create(new_rows, batch_size=1000)
    stocked = len(new_rows)
    log(f"  {stocked} inventory rows and {expected} expected deliveries added")
    _released_orders(log)


def _well_stocked_skus(count: int) -> list[str]:
    """The first `count` demo items (by code) with plenty on hand in both centers."""
    codes = SKU.objects.filter(kind="item").order_by("code").values_list("code", flat=True)
    return [c for c in codes if min(_stock_for(c)[:2]) >= 10][:count]


def _released_orders(log) -> None:
    """Place a few orders as the demo CSR would, run the release job as the demo Operations
    user, and ship the first release with a tracking number (payment captured)."""
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.filter(username__in=["csr", "ops"])}
    logons = {logon for logon, _ in RELEASED_ORDERS}
    customers = {c.logon_id: c for c in Customer.objects.filter(logon_id__in=logons)}
    codes = _well_stocked_skus(1 + max(i for _, lines in RELEASED_ORDERS for i, _ in lines))
    if len(users) < 2 or len(customers) < len(logons) or len(codes) < 6:
        log("  skipped released orders: needs the demo CSR, ops, customers and catalog")
        return
    csr, ops = users["csr"], users["ops"]
    if Order.objects.filter(created_by=csr, customer__logon_id__in=logons).exists():
        log("  kept the released demo orders")
        return
    placed = [
        place_demo_order(
            csr=csr,
            customer=customers[logon],
            lines=[(codes[index], quantity) for index, quantity in lines],
            key="demo-release",
            log=log,
        ).pk
        for logon, lines in RELEASED_ORDERS
    ]
    counts = run_job("release_orders", triggered_by=ops.username, actor=ops)
    log(f"  released {counts['orders']} orders in {counts['releases']} releases")
    first = Release.objects.filter(order_id__in=placed).order_by("pk").first()
    if first is not None:
        confirm_shipment(
            actor=ops, release_id=first.pk, carrier="Canada Post", tracking_number="DEMO1234567890"
        )
        log(f"  shipped {first.number} (tracking DEMO1234567890)")


# Stocks catalog's SKUs; places (with the demo CSR) and ships orders.
DEMO = DemoData(load=load, after=("core", "customers", "catalog", "pricing"))
