"""Builds the engine's inputs: the active rules (cached), and an order's snapshot from the facts
orders hands over (`OrderFacts`: its lines and ship-tos) plus pricing's own rows of the order.

The rules (price-list headers, promotions, shipping rates, tax rates) are cached in Django's
cache under a version key; any change to a rule bumps the version (`bump_rules_version`, called
by the admin, the services and a tiny post_save/post_delete hook in apps.py that does nothing
else). Each process also keeps the last rules it unpickled, so a warm reprice costs one cache
read for the version plus the order's own queries. Price-list entries are not cached (a
catalog can have millions); the loader reads only the cart's SKUs' entries, in one query.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from core.cache import CacheVersion
from core.db import CompiledQuery, IdIn, execute_prepared, int_array
from customers.models import Customer
from pricing import engine as e
from pricing import models as m

RULES_VERSION = CacheVersion("pricing:rules")
RULES_TTL = 24 * 3600
_local = threading.local()


def rules_version() -> str:
    return RULES_VERSION.current()


def bump_rules_version(**_ignored) -> None:
    """A rule changed: every process rebuilds its rules on the next reprice."""
    RULES_VERSION.bump()
    _local.__dict__.clear()


def active_rules() -> e.Rules:
    """The active rules without price-list entries (see `rules_for_skus`)."""
    version = rules_version()
    if getattr(_local, "version", None) == version:
        return _local.rules
    key = f"pricing:rules:{version}"
    rules = cache.get(key)
    if rules is None:
        rules = build_rules()
        cache.set(key, rules, RULES_TTL)
    _local.version, _local.rules = version, rules
    return rules


_PROMOTION_LINKS = ("segments", "skus", "categories", "shipping_methods", "get_skus")


def _links_sql() -> str:
    """(promotion id, link index, its target ids joined by commas) for every link of every
    active promotion: plain SQL, as its columns are all integers on every database (the ORM's
    UNION of the five through tables ran a converter on each of thousands of rows, and
    compiled it every time)."""
    qn = connection.ops.quote_name
    promotion = m.Promotion._meta
    selects = []
    for index, name in enumerate(_PROMOTION_LINKS):
        field = promotion.get_field(name)
        source, target = qn(field.m2m_column_name()), qn(field.m2m_reverse_name())
        # In the order the rows are read, which stays as long as the rows do: sorting them
        # cost the database more than the comparison it helps (an order that moved only
        # makes that promotion's rule anew).
        if connection.vendor == "postgresql":
            joined = f"string_agg(CAST(t.{target} AS text), ',')"
        else:
            joined = f"group_concat(t.{target}, ',')"
        selects.append(
            f"SELECT t.{source}, {index}, {joined} FROM {qn(field.m2m_db_table())} t"
            f" JOIN {qn(promotion.db_table)} p ON p.{qn(promotion.pk.column)} = t.{source}"
            f" WHERE p.{qn(promotion.get_field('is_active').column)} = %s GROUP BY t.{source}"
        )
    if connection.vendor == "postgresql":
        selects.append(_row_versions_sql())
    return " UNION ALL ".join(selects)


def _row_versions_sql() -> str:
    """(promotion id, ROW_VERSION, its row's version) for every active promotion: where the
    current versions of its row and its gift SKU's are and which transactions wrote them
    (`ctid`, `xmin`: an UPDATE moves both, and the place alone within one transaction), so
    that a rebuild reads whole rows only for the promotions that changed (reading 2,000 rows
    of 28 columns to compare them with the last rebuild's was a third of a rebuild)."""
    qn = connection.ops.quote_name
    promotion = m.Promotion._meta
    gift = promotion.get_field("gift_sku")
    return (
        f"SELECT p.{qn(promotion.pk.column)}, {ROW_VERSION},"
        " p.xmin::text || p.ctid::text || COALESCE(g.xmin::text || g.ctid::text, '')"
        f" FROM {qn(promotion.db_table)} p LEFT JOIN {qn(gift.related_model._meta.db_table)} g"
        f" ON g.{qn(gift.target_field.column)} = p.{qn(gift.column)}"
        f" WHERE p.{qn(promotion.get_field('is_active').column)} = %s"
    )


# Where a promotion's row version is among its links (PostgreSQL; None elsewhere).
ROW_VERSION = len(_PROMOTION_LINKS)
_NO_LINKS: list[str | None] = [None] * (ROW_VERSION + 1)  # shared, never changed


def _promotion_links() -> dict[int, list[str | None]]:
    """The active promotions' many-to-many targets, read from the through tables in one query:
    by promotion, for each of `_PROMOTION_LINKS`, its target ids joined by commas (None: none),
    then its row's version (PostgreSQL, where every active promotion is there).
    Joined by the database, a promotion's targets are one value to compare with the last
    rebuild's, and made into ids only for a promotion that changed: a rebuild read thousands
    of (promotion, target) rows and made a set of each promotion's, every one unchanged."""
    links: dict[int, list[str | None]] = {}
    sql = _links_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [True] * sql.count("%s"))
        for promotion_id, index, joined in cursor.fetchall():
            targets = links.get(promotion_id)
            if targets is None:
                targets = links[promotion_id] = list(_NO_LINKS)
            targets[index] = joined
    return links


def _ids(joined: str | None) -> frozenset[int]:
    return frozenset(map(int, joined.split(","))) if joined else _NONE


def build_rules() -> e.Rules:
    price_lists = tuple(
        e.PriceListRule(
            id=pl.pk,
            name=pl.name,
            currency=pl.currency,
            kind=e.PriceListKind(pl.kind),
            segment_id=pl.segment_id,
            organization_id=pl.organization_id,
            priority=pl.priority,
            starts_at=pl.starts_at,
            ends_at=pl.ends_at,
            base_list_id=pl.base_list_id,
            category_adjustments=tuple(
                e.CategoryAdjustment(a.category_id, a.signed_percent)
                for a in pl.category_adjustments.all()
            ),
        )
        for pl in m.PriceList.objects.filter(is_active=True).prefetch_related(
            "category_adjustments"
        )
    )
    promotions = _promotion_rules()
    rates = []
    for r in (
        m.ShippingRate.objects.filter(method__is_active=True)
        .select_related("method")
        .prefetch_related("bands")
    ):
        rates.append(
            e.ShippingRateRule(
                method_id=r.method_id,
                method_name=r.method.name,
                currency=r.currency,
                basis=e.ShippingBasis(r.basis),
                amount=r.amount,
                bands=tuple((b.from_value, b.charge) for b in r.bands.all()),
                country=str(r.country or ""),
            )
        )
    taxes = tuple(
        e.TaxRateRule(
            tax_code=t.category.code,
            country=str(t.country),
            region=t.region,
            postal_prefix=t.postal_prefix,
            name=t.name,
            rate=t.rate,
        )
        for t in m.TaxRate.objects.select_related("category")
    )
    return e.Rules(
        price_lists=price_lists,
        promotions=promotions,
        shipping_rates=tuple(rates),
        tax_rates=taxes,
        tax_per_invoice=(
            m.PricingSettings.current().tax_rounding == m.PricingSettings.TaxRounding.INVOICE
        ),
    )


PROMOTION_COLUMNS = (
    "id",
    "name",
    "reward",
    "priority",
    "exclusive",
    "code",
    "code_required",
    "is_coupon",
    "starts_at",
    "ends_at",
    "days_of_week",
    "time_from",
    "time_to",
    "time_zone",
    "currency",
    "min_quantity",
    "min_amount",
    "percent",
    "amount",
    "buy_quantity",
    "get_quantity",
    "gift_sku_id",
    "gift_quantity",
    "limit_per_order",
    "limit_per_customer",
    "limit_overall",
    "description",
    "gift_sku__code",
)
# Rows as tuples, not model instances: two instances a promotion (the row and its gift SKU)
# were most of a rebuild's time at 2,000 promotions.
_promotion_rows = CompiledQuery(
    lambda: m.Promotion.objects.filter(is_active=True).values_list(*PROMOTION_COLUMNS)
)
_SCHEDULE_COLUMNS = ("starts_at", "ends_at", "days_of_week", "time_from", "time_to", "time_zone")
_REWARDS = {reward.value: reward for reward in e.Reward}  # Reward(value) is an enum call
_NONE: frozenset[int] = frozenset()


# The promotion rules of this process's last rebuild, by promotion, with what each was made
# from. A rule depends on its row and its links alone, so a rebuild after one promotion changed
# takes the others as they were, with what the engine computed once on them (its stage, what it
# needs). Compared, not hashed: hashing the rows' decimals and times cost as much as making the
# rules.
_rules_built: dict[int, tuple[tuple, e.PromotionRule]] = {}


def _promotion_rules() -> tuple[e.PromotionRule, ...]:
    """The active promotions' rules, made anew only for those whose row or links changed since
    the last rebuild: one promotion saved in the admin no longer makes 2,000. On PostgreSQL a
    row is known by its version, and only the changed rows are read."""
    if connection.vendor == "postgresql":
        made_of = {pid: (None, targets) for pid, targets in _promotion_links().items()}
        changed = [pid for pid, made in made_of.items() if _built_from(pid) != made]
        rows = _rows_of(changed)
    else:
        rows = {row[0]: row for row in _promotion_rows.rows()}
        links = _promotion_links() if rows else {}  # no query for a store without promotions
        made_of = {pid: (row, links.get(pid, _NO_LINKS)) for pid, row in rows.items()}
    built, shared = {}, {}
    for pid, made in made_of.items():
        if _built_from(pid) == made:
            built[pid] = _rules_built[pid]
        elif pid in rows:  # not deleted or deactivated since its links were read
            built[pid] = (made, promotion_rule(rows[pid], made[1][:ROW_VERSION], shared))
    # Replaced whole, not merged: deleted promotions go with it. Two threads rebuilding at once
    # may leave either's; each is a rule made from what it is stored with.
    _rules_built.clear()
    _rules_built.update(built)
    return tuple(sorted((rule for _, rule in built.values()), key=_in_order))


def _built_from(promotion_id: int) -> tuple | None:
    before = _rules_built.get(promotion_id)
    return before[0] if before is not None else None


def _in_order(rule: e.PromotionRule) -> tuple[int, int]:
    return rule.priority, rule.id


def _rows_of(promotion_ids: list[int]) -> dict[int, tuple]:
    """These promotions' rows (PROMOTION_COLUMNS), by id, those still active (a new process:
    every one of them, the ids as one array parameter). One deactivated since its links were
    read is left out, as one deleted since is."""
    if not promotion_ids:
        return {}
    found = m.Promotion.objects.filter(IdIn(F("pk"), promotion_ids), is_active=True)
    return {row[0]: row for row in found.values_list(*PROMOTION_COLUMNS)}


def promotion_rule(row: tuple, links: list[str | None], shared: dict) -> e.PromotionRule:
    """One promotion's row (PROMOTION_COLUMNS), with its many-to-many targets as
    `_promotion_links` read them, as the engine's rule.

    `shared`: the schedules and amounts made so far, by their columns' values. Promotions use
    the same few (most have no schedule and a 5, 10 or 15 % off): one object each instead of
    thousands, which the rules' cache pickles and unpickles once. An amount is shared only
    within its column, whose fixed scale makes equal values identical ("10.00", never "10.0")."""
    (pk, name, reward, priority, exclusive, code, code_required, is_coupon) = row[:8]
    when = row[8:14]  # _SCHEDULE_COLUMNS
    (currency, min_quantity, min_amount, percent, amount, buy_quantity, get_quantity) = row[14:21]
    (gift_sku_id, gift_quantity, per_order, per_customer, overall, description, gift_code) = row[
        21:
    ]
    schedule = shared.get(when)
    if schedule is None:
        schedule = shared[when] = _schedule(*when)
    segments, skus, categories, shipping_methods, get_skus = map(_ids, links)  # _PROMOTION_LINKS
    min_amount = shared.setdefault(("min_amount", min_amount), min_amount)
    percent = shared.setdefault(("percent", percent), percent)
    amount = shared.setdefault(("amount", amount), amount)
    return e.PromotionRule.from_fields(
        {
            "id": pk,
            "name": name,
            "reward": _REWARDS[reward],
            "priority": priority,
            "exclusive": exclusive,
            "segment_ids": segments,
            "code": code.upper(),
            "code_required": code_required,
            "coupon": is_coupon,
            "schedule": schedule,
            "currency": currency if reward in m.AMOUNT_REWARDS else "",
            "sku_ids": skus,
            "category_ids": categories,
            "min_quantity": min_quantity,
            "min_amount": min_amount or Decimal("0"),
            "shipping_method_ids": shipping_methods,
            "percent": percent if percent is not None else Decimal("0"),
            "amount": amount or Decimal("0"),
            "buy_quantity": buy_quantity or 0,
            "get_quantity": get_quantity or 0,
            "get_sku_ids": get_skus,
            "get_category_ids": _NONE,
            "gift_sku_id": gift_sku_id,
            "gift_sku_code": gift_code or "",
            "gift_quantity": gift_quantity,
            "max_per_order": per_order,
            "limit_per_customer": per_customer,
            "limit_overall": overall,
            "description": description,
        }
    )


def _schedule(starts_at, ends_at, days_of_week, time_from, time_to, time_zone) -> e.Schedule:
    return e.Schedule(
        starts_at=starts_at,
        ends_at=ends_at,
        days_of_week=m.days_of(days_of_week),
        time_from=time_from,
        time_to=time_to,
        time_zone=time_zone,
    )


def _list_ids(rules: e.Rules, currency: str) -> list[int]:
    return [pl.id for pl in rules.price_lists if pl.currency == currency]


def rules_for_skus(rules: e.Rules, sku_ids, currency: str) -> e.Rules:
    """The rules with the price entries of these SKUs filled in (one query)."""
    list_ids = _list_ids(rules, currency)
    rows = []
    if list_ids and sku_ids:
        rows = m.PriceListEntry.objects.filter(
            price_list_id__in=list_ids, sku_id__in=list(sku_ids)
        ).values_list("price_list_id", "sku_id", "min_quantity", "price")
    return rules_with_prices(rules, rows)


def rules_with_prices(rules: e.Rules, entries) -> e.Rules:
    """The rules with these price entries, (list id, SKU id, min quantity, price), filled in."""
    prices: dict[int, dict[int, list[e.PriceTier]]] = defaultdict(lambda: defaultdict(list))
    for list_id, sku_id, min_q, amount in entries:
        prices[list_id][sku_id].append(e.PriceTier(min_q, amount))
    lists = tuple(
        dataclasses.replace(pl, prices={k: tuple(v) for k, v in prices[pl.id].items()})
        if pl.id in prices
        else pl
        for pl in rules.price_lists
    )
    filled = dataclasses.replace(rules, price_lists=lists)
    # The derived indexes depend only on the cached rules: compute them once there (they then
    # live as long as the process keeps these rules) and share them with every filled copy.
    for cached in ("promotions_in_order", "promotion_index", "rates_by_method", "taxes_by_code"):
        filled.__dict__[cached] = getattr(rules, cached)
    return filled


# --- snapshot ----------------------------------------------------------------------------------


def category_path_ids(path: str | None, category_id: int) -> tuple[int, ...]:
    """A category's id first, then its ancestors', from its materialized path."""
    ids = [int(x) for x in (path or "").strip("/").split("/") if x]
    if not ids:
        ids = [category_id]
    return tuple(reversed(ids))


def category_ids_of(category) -> tuple[int, ...]:
    """The category first, then its ancestors (catalog keeps a materialized path)."""
    return category_path_ids(category.path, category.pk)


class UsageRow(NamedTuple):
    """A promotion usage row of the order (values, not a model instance)."""

    pk: int
    promotion_id: int
    status: str
    amount: Decimal


def cart_line(line_id, sku, quantity: int, ship_to: str = "") -> e.CartLine:
    product = sku.product
    return e.CartLine(
        line_id=line_id,
        sku_id=sku.pk,
        sku_code=sku.code,
        quantity=quantity,
        category_ids=category_ids_of(product.category),
        weight_kg=sku.weight_kg or Decimal("0"),
        tax_code=product.tax_code or "standard",
        ship_to=ship_to,
    )


@dataclasses.dataclass(frozen=True)
class OrderFacts:
    """The part of an order's snapshot that comes from orders' own rows: orders builds it and
    hands it over; pricing adds its own rows of the order (`load_order`)."""

    order_id: int
    currency: str
    customer_id: int | None
    is_cart: bool  # still a pending order: a released use of a promotion comes back pending
    lines: tuple[e.CartLine, ...]  # the non-gift lines, each with its ship-to key
    ship_tos: tuple[e.ShipTo, ...]


@dataclasses.dataclass
class Loaded:
    """What the loader read for one order: the snapshot, the rules with the cart's prices, and
    the order's promotion usage rows (to keep in step)."""

    snapshot: e.Snapshot
    rules: e.Rules
    usages: list[UsageRow]  # the order's promotion usage, any status


def customer_facts(customer) -> tuple[frozenset[int], int | None]:
    if customer is None:
        return frozenset(), None
    segment_ids = frozenset(customer.segments.values_list("id", flat=True))
    return segment_ids, customer.organization_id


def limited_promotions(promotions) -> dict:
    """Those of `promotions` (rules or Promotion rows) with a usage limit, by id."""
    return {
        p.id: p
        for p in promotions
        if p.limit_overall is not None or p.limit_per_customer is not None
    }


def _allowances_of(
    limited: dict[int, e.PromotionRule],
    used: dict[int, int],
    used_by_customer: dict[int, int],
    own_final: set[int],
    customer_id,
) -> tuple[e.Allowance, ...]:
    """Uses left of each limited promotion from its counter (`used`), the customer's final
    uses on other orders and the promotions this order already used finally (they stay
    available to it)."""
    found = []
    for pid in sorted(limited):
        p = limited[pid]
        overall = None
        if p.limit_overall is not None:
            overall = p.limit_overall - used.get(pid, 0) + (1 if pid in own_final else 0)
        customer = None
        if p.limit_per_customer is not None and customer_id is not None:
            customer = p.limit_per_customer - used_by_customer.get(pid, 0)
        found.append(e.Allowance(pid, overall, customer))
    return tuple(found)


def allowances(rules: e.Rules, order_id, customer_id, lines=None) -> tuple[e.Allowance, ...]:
    """Uses left of limited promotions, not counting this order's own final use (2 queries,
    none when no limited promotion concerns the cart's `lines`)."""
    limited = limited_promotions(rules.promotions if lines is None else rules.promotions_for(lines))
    if not limited:
        return ()
    used = dict(
        m.PromotionCounter.objects.filter(promotion_id__in=list(limited)).values_list(
            "promotion_id", "used"
        )
    )
    own_final: set[int] = set()
    used_by_customer: dict[int, int] = {}
    rows = m.PromotionUsage.objects.filter(
        promotion_id__in=list(limited), status=m.UsageStatus.FINAL
    )
    if customer_id is not None:
        rows = rows.filter(Q(order_id=order_id) | Q(customer_id=customer_id))
    else:
        rows = rows.filter(order_id=order_id)
    for promotion_id, usage_order in rows.values_list("promotion_id", "order_id"):
        if usage_order == order_id:
            own_final.add(promotion_id)
        else:
            used_by_customer[promotion_id] = used_by_customer.get(promotion_id, 0) + 1
    return _allowances_of(limited, used, used_by_customer, own_final, customer_id)


# --- one read for an order ---------------------------------------------------------------------


class _Part(IntEnum):
    """What a row of `_read_order` is."""

    CUSTOMER = 2
    CODE = 3
    COUPON = 4
    ADJUSTMENT = 5
    USAGE = 6
    CUSTOMER_USES = 7
    COUNTER = 8
    PRICE = 9


# Every part selects its number, then these columns: NULL for those it does not use, cast to
# the column's type so that PostgreSQL can type the UNION. The read is ordered by part, then
# `seq`: a part whose rows have an order (adjustments as created) puts it there.
_COLUMNS = {
    "seq": "bigint",
    "i1": "bigint",
    "i2": "bigint",
    "t1": "text",
    "t2": "text",
    "t3": "text",
    "n1": "numeric",
}


def _select(part: _Part, source: str, where: str, **columns: str) -> str:
    values = ", ".join(columns.get(c, f"CAST(NULL AS {t})") for c, t in _COLUMNS.items())
    return f"SELECT {int(part)}, {values} FROM {source} WHERE {where}"


def _in_ids(column: str, ids: list[int]) -> tuple[str, list]:
    """`column IN ids` and its parameters. On PostgreSQL the ids go as one array literal:
    psycopg binds parameters on the client, and a query of more than 50 is converted anew on
    every call (its cache stops there) and each id rendered one by one (a cart's 50 SKUs)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [int_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _decimal_of(field):
    """The ORM's conversion of this decimal field's raw value (SQLite: float to Decimal)."""
    col = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)

    def convert(value):
        for converter in converters:
            value = converter(value, col, connection)
        return value

    return convert


@dataclasses.dataclass
class _OrderRead:
    """What `_read_order` found, part by part."""

    segment_ids: set[int] = dataclasses.field(default_factory=set)
    organization_id: int | None = None
    codes: set[str] = dataclasses.field(default_factory=set)
    coupon_promotion_ids: set[int] = dataclasses.field(default_factory=set)
    adjustments: list[e.Adjustment] = dataclasses.field(default_factory=list)
    usages: list[UsageRow] = dataclasses.field(default_factory=list)
    used_by_customer: dict[int, int] = dataclasses.field(default_factory=dict)
    used: dict[int, int] = dataclasses.field(default_factory=dict)
    prices: list[tuple[int, int, int, Decimal]] = dataclasses.field(default_factory=list)


def _qn_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _qn_col(model, name: str, alias: str = "") -> str:
    column = connection.ops.quote_name(model._meta.get_field(name).column)
    return f"{alias}.{column}" if alias else column


def _order_parts(order: OrderFacts, now) -> tuple[list[str], list]:
    """The parts every read has: codes, coupons, adjustments and usage of the order."""
    A, C = m.OrderAdjustment, m.Coupon
    params = [
        order.order_id,
        order.order_id,
        C.Status.CONSUMED.value,
        C.Status.AVAILABLE.value,
        connection.ops.adapt_datetimefield_value(now),
        order.order_id,
        A.Status.REJECTED.value,
        order.order_id,
    ]
    return list(_order_selects(connection.vendor)), params


# The SQL of the parts whose text never changes, made once per database vendor (its names
# quoted): on every reprice, made anew, it cost a tenth of a millisecond.
@functools.cache
def _order_selects(vendor: str) -> tuple[str, ...]:
    table, col = _qn_table, _qn_col
    A, C, U, P = m.OrderAdjustment, m.Coupon, m.PromotionUsage, m.OrderPromotionCode
    return (
        _select(_Part.CODE, table(P), f"{col(P, 'order')} = %s", t1=col(P, "code")),
        _select(
            _Part.COUPON,
            table(C),
            f"{col(C, 'order')} = %s AND ({col(C, 'status')} = %s"
            f" OR ({col(C, 'status')} = %s AND {col(C, 'expires_at')} > %s))",
            i1=col(C, "promotion"),
        ),
        _select(
            _Part.ADJUSTMENT,
            table(A),
            f"{col(A, 'order')} = %s AND {col(A, 'status')} <> %s",
            seq=f"ROW_NUMBER() OVER (ORDER BY {col(A, 'created_at')}, {col(A, 'id')})",
            i1=col(A, "id"),
            i2=col(A, "line"),
            t1=col(A, "kind"),
            t2=col(A, "reason_code"),
            t3=col(A, "status"),
            n1=col(A, "value"),
        ),
        _select(
            _Part.USAGE,
            table(U),
            f"{col(U, 'order')} = %s",
            seq=col(U, "id"),
            i1=col(U, "promotion"),
            t1=col(U, "status"),
            n1=col(U, "amount"),
        ),
    )


def _customer_part(customer_id: int) -> tuple[str, list]:
    """The customer's organization and segments (customers' tables, read-only)."""
    return _customer_select(connection.vendor), [customer_id]


@functools.cache
def _customer_select(vendor: str) -> str:
    qn = connection.ops.quote_name
    segments = Customer._meta.get_field("segments")
    pk = qn(Customer._meta.pk.column)
    return _select(
        _Part.CUSTOMER,
        f"{_qn_table(Customer)} c LEFT JOIN {qn(segments.m2m_db_table())} s"
        f" ON s.{qn(segments.m2m_column_name())} = c.{pk}",
        f"c.{pk} = %s",
        i1=_qn_col(Customer, "organization", "c"),
        i2=f"s.{qn(segments.m2m_reverse_name())}",
    )


def _limit_parts(order: OrderFacts, limited) -> tuple[list[str], list]:
    """The customer's final uses and the counters of the limited promotions."""
    table, col = _qn_table, _qn_col
    U, counter = m.PromotionUsage, m.PromotionCounter
    selects, params = [], []
    per_customer = [pid for pid, p in limited.items() if p.limit_per_customer is not None]
    if per_customer and order.customer_id is not None:
        promotion_in, promotion_ids = _in_ids(col(U, "promotion"), per_customer)
        selects.append(
            _select(
                _Part.CUSTOMER_USES,
                table(U),
                f"{col(U, 'customer')} = %s AND {col(U, 'status')} = %s"
                f" AND {col(U, 'order')} <> %s AND {promotion_in}"
                f" GROUP BY {col(U, 'promotion')}",
                i1=col(U, "promotion"),
                i2="COUNT(*)",
            )
        )
        params += [order.customer_id, m.UsageStatus.FINAL.value, order.order_id, *promotion_ids]
    overall = [pid for pid, p in limited.items() if p.limit_overall is not None]
    if overall:
        promotion_in, promotion_ids = _in_ids(col(counter, "promotion"), overall)
        selects.append(
            _select(
                _Part.COUNTER,
                table(counter),
                promotion_in,
                i1=col(counter, "promotion"),
                i2=col(counter, "used"),
            )
        )
        params += promotion_ids
    return selects, params


def _price_part(list_ids, sku_ids) -> tuple[str, list]:
    entry = m.PriceListEntry
    list_in, list_params = _in_ids(_qn_col(entry, "price_list"), list_ids)
    sku_in, sku_params = _in_ids(_qn_col(entry, "sku"), sku_ids)
    select = _select(
        _Part.PRICE,
        _qn_table(entry),
        f"{list_in} AND {sku_in}",
        seq=_qn_col(entry, "min_quantity"),
        i1=_qn_col(entry, "price_list"),
        i2=_qn_col(entry, "sku"),
        n1=_qn_col(entry, "price"),
    )
    return select, [*list_params, *sku_params]


def _read_order(order: OrderFacts, now, list_ids, sku_ids, limited) -> _OrderRead:
    """Pricing's rows of the order and what the engine needs besides orders' facts, in one
    UNION ALL: the customer's organization and segments, entered codes, selected coupons, CSR
    adjustments, the order's promotion usage, the customer's final uses and the counters of the
    limited promotions, and the price entries of the cart's SKUs.

    One round trip instead of eight: a reprice runs on every cart change, and each query costs
    more in the ORM and in waiting for the database than these few rows cost to read."""
    selects, params = _order_parts(order, now)
    if order.customer_id is not None:
        select, more = _customer_part(order.customer_id)
        selects.append(select)
        params += more
    more_selects, more = _limit_parts(order, limited)
    selects += more_selects
    params += more
    if list_ids and sku_ids:
        select, more = _price_part(list_ids, sku_ids)
        selects.append(select)
        params += more
    with connection.cursor() as cursor:
        execute_prepared(cursor, " UNION ALL ".join(selects) + " ORDER BY 1, 2", params)
        rows = cursor.fetchall()
    found = _OrderRead()
    readers = _row_readers()
    for part, *values in rows:
        readers[part](found, *values)
    return found


def _row_readers():
    """How each part's row goes into an `_OrderRead`: one small function per part."""
    A, U = m.OrderAdjustment, m.PromotionUsage
    reasons = dict(A.ReasonCode.choices)
    price_of = _decimal_of(m.PriceListEntry._meta.get_field("price"))
    value_of = _decimal_of(A._meta.get_field("value"))
    amount_of = _decimal_of(U._meta.get_field("amount"))

    def price(found, seq, i1, i2, t1, t2, t3, n1):
        found.prices.append((i1, i2, seq, price_of(n1)))

    def customer(found, seq, i1, i2, t1, t2, t3, n1):
        found.organization_id = i1
        if i2 is not None:
            found.segment_ids.add(i2)

    def code(found, seq, i1, i2, t1, t2, t3, n1):
        found.codes.add(t1.upper())

    def coupon(found, seq, i1, i2, t1, t2, t3, n1):
        found.coupon_promotion_ids.add(i1)

    def adjustment(found, seq, i1, i2, t1, t2, t3, n1):
        found.adjustments.append(
            e.Adjustment(
                id=i1,
                kind=e.AdjustmentKind(t1),
                value=value_of(n1),
                reason=str(reasons.get(t2, t2)),
                line_id=i2,
                ship_to=None,
                approved=t3 == A.Status.APPROVED,
            )
        )

    def usage(found, seq, i1, i2, t1, t2, t3, n1):
        found.usages.append(UsageRow(seq, i1, t1, amount_of(n1)))

    def customer_uses(found, seq, i1, i2, t1, t2, t3, n1):
        found.used_by_customer[i1] = i2

    def counter(found, seq, i1, i2, t1, t2, t3, n1):
        found.used[i1] = i2

    return {
        _Part.PRICE: price,
        _Part.CUSTOMER: customer,
        _Part.CODE: code,
        _Part.COUPON: coupon,
        _Part.ADJUSTMENT: adjustment,
        _Part.USAGE: usage,
        _Part.CUSTOMER_USES: customer_uses,
        _Part.COUNTER: counter,
    }


def load_order(
    order: OrderFacts, *, now: datetime | None = None, rules: e.Rules | None = None
) -> Loaded:
    """The snapshot of the order orders described, with pricing's own rows of it: one query
    with warm rules (`_read_order`)."""
    now = now or timezone.now()
    base_rules = rules or active_rules()
    limited = limited_promotions(base_rules.promotions_for(order.lines))
    read = _read_order(
        order,
        now,
        _list_ids(base_rules, order.currency),
        sorted({x.sku_id for x in order.lines}),
        limited,
    )
    own_final = {u.promotion_id for u in read.usages if u.status == m.UsageStatus.FINAL}
    snapshot = e.Snapshot(
        currency=order.currency,
        now=now,
        lines=order.lines,
        customer_id=order.customer_id,
        segment_ids=frozenset(read.segment_ids),
        organization_id=read.organization_id,
        codes=frozenset(read.codes),
        coupon_promotion_ids=frozenset(read.coupon_promotion_ids),
        adjustments=tuple(read.adjustments),
        ship_tos=order.ship_tos,
        allowances=_allowances_of(
            limited, read.used, read.used_by_customer, own_final, order.customer_id
        ),
    )
    return Loaded(snapshot, rules_with_prices(base_rules, read.prices), read.usages)
