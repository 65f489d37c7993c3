"""Benchmark volumes of orders: `manage.py generate_load_data --orders N`.

Needs customers and SKUs first (`--customers`, `--skus`). Each order has one ship-to address
(a fifth with a house number of one or two digits, a tenth naming a unit first) and 1-3 lines
of existing SKUs; seven in ten belong to a registered customer, the rest to guests with a
name, an e-mail and a phone (E.164, as the services store it). Nine in ten are placed (a
number, a status past submit), the rest parked carts. Dates spread over two years.

PostgreSQL only (benchmarks run there): ids are reserved from the sequences and rows streamed
with COPY (psycopg 3), in batches of BATCH orders, each batch one transaction; ANALYZE at the
end. Prices are not computed: the rows exist for the search, not for pricing.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import SKU
from core.app_data import Volume
from customers.load_data import CA_CITIES, FIRST, STREETS, US_CITIES, _last_names, _postal
from customers.models import Customer
from orders.models import OrderAddress, OrderStatus, order_number

BATCH = 50_000
LOAD_USER = "load-data"
PLACED = (
    OrderStatus.SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.RELEASED,
    OrderStatus.AUTHORIZED,
    OrderStatus.BACKORDERED,
    OrderStatus.CANCELED,
)
LINE_STATUS = {
    OrderStatus.PENDING: "unallocated",
    OrderStatus.AUTHORIZED: "allocated",
    OrderStatus.BACKORDERED: "backordered",
    OrderStatus.RELEASED: "released",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.CANCELED: "canceled",
}
ORDER_COLUMNS = (
    "id, number, status, customer_id, guest_first_name, guest_last_name, guest_email, "
    "guest_phone, currency, atp_choice, created_by_id, version, subtotal, discount_total, "
    "shipping_total, tax_total, total, created_at, modified_at, submitted_at, "
    "current_ship_to_id, attention, pricing_detail, reordered_from_id, exchange_for, "
    "store_credit_amount"
)
NUMBER_COLUMNS = "id, order_id, created_at"
ADDRESS_COLUMNS = (
    "id, order_id, kind, nickname, first_name, last_name, line1, line2, city, region, "
    "postal_code, country, phone, shipping_method_id"
)
LINE_COLUMNS = (
    "order_id, sku_id, quantity, ship_to_id, is_gift, unit_price, discount_total, line_total, "
    "inventory_status, created_at"
)
ZERO = Decimal("0.00")


class _Rows:
    """Rows in COPY column order for orders with the given first ids."""

    def __init__(self, rng: random.Random, customer_ids: list[int], sku_ids: list[int], user_id):
        self.rng = rng
        self.customer_ids = customer_ids
        self.sku_ids = sku_ids
        self.user_id = user_id
        self.last_names = _last_names(random.Random(7))
        self.now = timezone.now()

    def batch(self, first_order: int, first_number: int, first_address: int, count: int):
        orders, numbers, addresses, lines = [], [], [], []
        for offset in range(count):
            order, number, address, order_lines = self._one(
                first_order + offset, first_number + offset, first_address + offset
            )
            orders.append(order)
            if number:
                numbers.append(number)
            addresses.append(address)
            lines.extend(order_lines)
        return orders, numbers, addresses, lines

    def _one(self, pk: int, number_id: int, address_id: int):
        rng = self.rng
        created = self.now - dt.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
        modified = min(created + dt.timedelta(minutes=rng.randint(1, 20000)), self.now)
        placed = rng.random() < 0.9
        status = rng.choice(PLACED) if placed else OrderStatus.PENDING
        first = rng.choice(FIRST)
        last = self.last_names[rng.randrange(len(self.last_names))]
        canadian = rng.random() < 0.6
        city, region, prefix, area = rng.choice(CA_CITIES if canadian else US_CITIES)
        guest = rng.random() < 0.3
        guest_fields = (
            (first, last, f"{first.lower()}.{last.lower()}.g{pk}@example.com")
            if guest
            else ("", "", "")
        )
        guest_phone = f"+1{area}{rng.randint(2000000, 9999999)}" if guest else ""
        order = (
            pk,
            order_number(number_id) if placed else None,
            status,
            None if guest else rng.choice(self.customer_ids),
            *guest_fields,
            guest_phone,
            "CAD" if canadian else "USD",
            "ship_available_first",
            self.user_id,
            1,
            ZERO,
            ZERO,
            ZERO,
            ZERO,
            ZERO,
            created,
            modified,
            modified if placed else None,
            address_id,
            "",
            json.dumps({}),
            None,
            "",
            ZERO,
        )
        address = (
            address_id,
            pk,
            OrderAddress.Kind.SHIPPING,
            "",
            first,
            last,
            _street_line(rng),
            "",
            city,
            region,
            _postal(rng, "CA" if canadian else "US", prefix),
            "CA" if canadian else "US",
            "",
            None,
        )
        lines = [
            (
                pk,
                sku_id,
                rng.randint(1, 5),
                address_id,
                False,
                ZERO,
                ZERO,
                ZERO,
                LINE_STATUS[status],
                created,
            )
            for sku_id in rng.sample(self.sku_ids, rng.choice((1, 1, 2, 3)))
        ]
        return order, (number_id, pk, modified) if placed else None, address, lines


def _street_line(rng: random.Random) -> str:
    """'70 Bloor St W', '1482 Main St' or 'Unit 4, 9 Oak Ave': one in five house numbers has
    one or two digits (city streets; search must not treat them as the end of longer ones)
    and one line in ten names a unit first."""
    number = rng.randint(1, 99) if rng.random() < 0.2 else rng.randint(100, 9999)
    unit = f"Unit {rng.randint(1, 40)}, " if rng.random() < 0.1 else ""
    return f"{unit}{number} {rng.choice(STREETS)}"


def generate_orders(
    count: int, progress: Callable[[int], None] | None = None, *, seed: int | None = None
) -> int:
    """Add `count` orders (one address, 1-3 lines each); returns how many were added."""
    if connection.vendor != "postgresql":
        raise ValueError("Order volumes are for benchmarks, which run on PostgreSQL.")
    progress = progress or (lambda done: None)
    customer_ids = list(Customer.objects.values_list("pk", flat=True))
    sku_ids = list(SKU.objects.values_list("pk", flat=True)[:5000])
    if not customer_ids or len(sku_ids) < 3:
        raise ValueError("Generate customers and SKUs first (--customers N --skus N).")
    user, _ = get_user_model().objects.get_or_create(username=LOAD_USER)
    rows = _Rows(random.Random(seed), customer_ids, sku_ids, user.pk)
    _generate_postgres(count, progress, rows)
    return count


def _reserve_ids(cursor, table: str, count: int) -> int:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(
        f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), "
        f"(SELECT last_value FROM {sequence}))"
    )
    start = cursor.fetchone()[0] + 1
    cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
    return start


def _copy(raw_cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _generate_postgres(count: int, progress, rows: _Rows) -> None:
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic(), connection.cursor() as cursor:
            orders, numbers, addresses, lines = rows.batch(
                _reserve_ids(cursor, "orders_order", size),
                _reserve_ids(cursor, "orders_ordernumber", size),
                _reserve_ids(cursor, "orders_orderaddress", size),
                size,
            )
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            # The order names its ship-to and the address its order: Django's foreign keys
            # are checked at commit, so the order of the COPYs does not matter.
            _copy(raw, "orders_order", ORDER_COLUMNS, orders)
            _copy(raw, "orders_ordernumber", NUMBER_COLUMNS, numbers)
            _copy(raw, "orders_orderaddress", ADDRESS_COLUMNS, addresses)
            _copy(raw, "orders_orderline", LINE_COLUMNS, lines)
        done += size
        progress(done)
    with connection.cursor() as cursor:
        for table in ("orders_order", "orders_orderaddress", "orders_orderline"):
            cursor.execute(f"ANALYZE {table}")


VOLUME = Volume(
    option="orders", label="orders", generate=generate_orders, after=("customers", "catalog")
)
