"""Reads of inventory: eligible centers, availability to promise, what lines hold, stock lists."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import F, Min, QuerySet

from catalog.models import KitComponent
from core.cache import CacheVersion
from core.db import CompiledQuery, int_array
from fulfillment.models import (
    AllocationKind,
    ExpectedInventory,
    FulfillmentCenter,
    Inventory,
    LineAllocation,
    ShippingArrangement,
)


@dataclass(frozen=True)
class Destination:
    """Where a line ships, as inventory needs it (orders builds it from its ship-to address)."""

    country: str
    region: str
    postal_code: str
    shipping_method_id: int | None
    city: str = ""
    shipping_method_name: str = ""


@dataclass(frozen=True)
class LineStock:
    """What allocation needs to know of an order line: its id, what and how many, where to."""

    line_id: int
    sku_id: int
    sku_kind: str  # item, kit or service (catalog.SKUKind)
    quantity: int
    ship_to: Destination | None


def _norm_postal(value: str) -> str:
    return (value or "").replace(" ", "").replace("-", "").upper()


def _jurisdiction_key(ship_to: Destination | None) -> tuple | None:
    if ship_to is None:
        return None
    return (
        str(ship_to.country),
        (ship_to.region or "").upper(),
        _norm_postal(ship_to.postal_code),
        ship_to.shipping_method_id,
    )


class EligibleCenters:
    """Eligible fulfillment centers per ship-to, by precedence; memoized for one request/job."""

    def __init__(self):
        self._cache: dict = {}
        self._all: list[FulfillmentCenter] | None = None

    def all_centers(self) -> list[FulfillmentCenter]:
        if self._all is None:
            self._all = list(FulfillmentCenter.objects.filter(is_active=True))
        return self._all

    def for_ship_to(self, ship_to: Destination | None) -> list[FulfillmentCenter]:
        key = _jurisdiction_key(ship_to)
        if key not in self._cache:
            self._cache[key] = self._compute(ship_to)
        return self._cache[key]

    def _compute(self, ship_to: Destination | None) -> list[FulfillmentCenter]:
        if ship_to is None:
            return self.all_centers()
        country, region, postal, method_id = _jurisdiction_key(ship_to)
        candidates = []
        for arrangement in _arrangements(country, method_id):
            if arrangement.region and arrangement.region.upper() != region:
                continue
            prefix = _norm_postal(arrangement.postal_prefix)
            if prefix and not postal.startswith(prefix):
                continue
            # the more specific arrangement wins a tie of precedence
            specificity = (1 if arrangement.region else 0) + len(prefix)
            candidates.append(
                (
                    arrangement.precedence,
                    -specificity,
                    arrangement.center.precedence,
                    arrangement.center.code,
                    arrangement.center,
                )
            )
        seen: set[int] = set()
        centers = []
        for *_, center in sorted(candidates, key=lambda c: c[:4]):
            if center.pk not in seen:
                seen.add(center.pk)
                centers.append(center)
        return centers


# Shipping arrangements change a few times a year and are read by every allocation (an add line,
# a submit): each process keeps those it read, until a saved or deleted arrangement or center
# bumps the version (fulfillment.apps).
ARRANGEMENTS_VERSION = CacheVersion("fulfillment:arrangements")
_read = threading.local()


def _arrangements(country: str, method_id: int | None) -> list[ShippingArrangement]:
    """The active centers' arrangements for a country (and shipping method), with their center."""
    version = ARRANGEMENTS_VERSION.current()
    if getattr(_read, "version", None) != version:
        _read.version, _read.by_key = version, {}
    key = (country, method_id)
    if key not in _read.by_key:
        qs = ShippingArrangement.objects.filter(center__is_active=True, country=country)
        if method_id:
            qs = qs.filter(shipping_method_id=method_id)
        _read.by_key[key] = list(qs.select_related("center"))
    return _read.by_key[key]


def eligible_centers(*, ship_to: Destination | None = None) -> list[FulfillmentCenter]:
    """ "Get eligible fulfillment centers": those with an arrangement for the ship-to's
    jurisdiction and shipping method, by precedence; with no ship-to, every active center."""
    return EligibleCenters().for_ship_to(ship_to)


@dataclass(frozen=True)
class Availability:
    sku_id: int
    available_now: int
    center_code: str | None  # the center that would ship what is available now
    expected_quantity: int  # still promisable from expected inventory
    expected_date: date | None  # the earliest date with promisable expected inventory

    @property
    def status(self) -> str:
        if self.available_now > 0:
            return "available"
        if self.expected_quantity > 0:
            return "expected"
        return "backordered"

    def describe(self, quantity: int | None = None) -> str:
        """A sentence for the CSR, e.g. "3 available now in TOR; 7 expected on 2 Dec"."""
        parts = []
        if self.available_now > 0:
            parts.append(f"{self.available_now} available now in {self.center_code}")
        else:
            parts.append("none available now")
        if self.expected_quantity > 0 and self.expected_date:
            parts.append(f"{self.expected_quantity} expected on {self.expected_date:%-d %b}")
        text = "; ".join(parts)
        if quantity is not None and quantity > self.available_now:
            text += f" (backorder {quantity - self.available_now})"
        return text


def availability(*, sku_ids, ship_to: Destination | None = None) -> dict[int, Availability]:
    """Availability to promise for these SKUs at this ship-to (3 queries at most, any count)."""
    sku_ids = list(sku_ids)
    centers = eligible_centers(ship_to=ship_to)
    center_ids = [c.pk for c in centers]
    rank = {c.pk: i for i, c in enumerate(centers)}
    code = {c.pk: c.code for c in centers}
    now: dict[int, int] = {}
    best: dict[int, tuple[int, int]] = {}
    if sku_ids and center_ids:
        rows = Inventory.objects.filter(
            sku_id__in=sku_ids, center_id__in=center_ids, on_hand__gt=F("allocated")
        ).values_list("sku_id", "center_id", "on_hand", "allocated")
        for sku_id, center_id, on_hand, allocated in rows:
            avail = on_hand - allocated
            now[sku_id] = now.get(sku_id, 0) + avail
            if sku_id not in best or rank[center_id] < best[sku_id][0]:
                best[sku_id] = (rank[center_id], center_id)
    expected_qty: dict[int, int] = {}
    expected_date: dict[int, date] = {}
    if sku_ids and center_ids:
        rows = ExpectedInventory.objects.filter(
            sku_id__in=sku_ids,
            center_id__in=center_ids,
            quantity__gt=F("received_quantity") + F("promised_quantity"),
        ).values_list(
            "sku_id", "quantity", "received_quantity", "promised_quantity", "expected_date"
        )
        for sku_id, qty, received, promised, when in rows:
            expected_qty[sku_id] = expected_qty.get(sku_id, 0) + qty - received - promised
            if sku_id not in expected_date or when < expected_date[sku_id]:
                expected_date[sku_id] = when
    return {
        sku_id: Availability(
            sku_id=sku_id,
            available_now=now.get(sku_id, 0),
            center_code=code[best[sku_id][1]] if sku_id in best else None,
            expected_quantity=expected_qty.get(sku_id, 0),
            expected_date=expected_date.get(sku_id),
        )
        for sku_id in sku_ids
    }


def _held(rows: QuerySet[LineAllocation]) -> QuerySet:
    return rows.values_list("line_id", "kind", "quantity", "center__code", "expected_date")


# The one line a cart change draws again (compiled once, core.db.CompiledQuery).
_HELD_BY_ONE_LINE = CompiledQuery(
    lambda line_id: _held(LineAllocation.objects.filter(line_id=line_id)), int
)


def line_allocation_summary(*, line_ids) -> dict[int, dict]:
    """Per line: on_hand, expected, backorder quantities, centers and the expected ship date."""
    line_ids = list(line_ids)
    if len(line_ids) == 1:
        rows = _HELD_BY_ONE_LINE.rows(line_ids[0])
    else:
        rows = _held(LineAllocation.objects.filter(line_id__in=line_ids))
    out: dict[int, dict] = {}
    for line_id, kind, quantity, center_code, expected_date in rows:
        s = out.setdefault(
            line_id,
            {"on_hand": 0, "expected": 0, "backorder": 0, "centers": [], "expected_date": None},
        )
        s[kind] += quantity
        if center_code and center_code not in s["centers"]:
            s["centers"].append(center_code)
        if kind == AllocationKind.EXPECTED and (
            s["expected_date"] is None or expected_date > s["expected_date"]
        ):
            s["expected_date"] = expected_date
    return out


def inventory_list() -> QuerySet[Inventory]:
    """Inventory rows with `available_qty` annotated (filter and order it as you need)."""
    return Inventory.objects.select_related("sku", "center").annotate(
        available_qty=F("on_hand") - F("allocated")
    )


def line_demands(lines: list[LineStock]) -> dict[int, list[tuple[int, int]]]:
    """What each line needs from stock: [(sku_id, quantity)]. An item needs itself; a kit needs
    its components (quantity × per kit); a service needs nothing (1 query when kits are present).
    """
    kits = {line.sku_id for line in lines if line.sku_kind == "kit"}
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if kits:
        for kit_id, component_id, per in KitComponent.objects.filter(kit_id__in=kits).values_list(
            "kit_id", "component_id", "quantity"
        ):
            parts[kit_id].append((component_id, per))
    out = {}
    for line in lines:
        if line.sku_kind == "service":
            out[line.line_id] = []
        elif line.sku_kind == "kit" and parts.get(line.sku_id):
            out[line.line_id] = [(c, per * line.quantity) for c, per in parts[line.sku_id]]
        else:
            out[line.line_id] = [(line.sku_id, line.quantity)]
    return out


def invalidly_allocated(lines: list[LineStock]) -> list[int]:
    """The ids of the lines that need stock and whose held quantity no longer equals what they
    need, or whose stock sits in a center that can no longer ship to the ship-to (2-3 queries).
    A line that needs no stock (a service) holds nothing and is never invalid here."""
    allocs: dict[int, list] = defaultdict(list)
    for a in LineAllocation.objects.filter(line_id__in=[x.line_id for x in lines]).values_list(
        "line_id", "sku_id", "quantity", "center_id", named=True
    ):
        allocs[a.line_id].append(a)
    demands = line_demands(lines)
    eligible = EligibleCenters()
    invalid = []
    for line in lines:
        need = demands[line.line_id]
        if not need:
            continue
        held = allocs.get(line.line_id, [])
        got: dict[int, int] = defaultdict(int)
        for a in held:
            got[a.sku_id or line.sku_id] += a.quantity
        if dict(got) != dict(need):
            invalid.append(line.line_id)
            continue
        ok = {c.pk for c in eligible.for_ship_to(line.ship_to)}
        if any(a.center_id and a.center_id not in ok for a in held):
            invalid.append(line.line_id)
    return invalid


def on_hand_by_line(*, line_ids) -> dict[int, int]:
    """How much of each line is held from stock on hand (component units for a kit)."""
    out: dict[int, int] = defaultdict(int)
    for line_id, quantity in LineAllocation.objects.filter(
        line_id__in=list(line_ids), kind=AllocationKind.ON_HAND
    ).values_list("line_id", "quantity"):
        out[line_id] += quantity
    return out


def on_hand_held(*, line_ids: list[int]) -> list[tuple[int, int, int, int]]:
    """(line_id, center_id, sku_id, quantity) of each allocation from stock on hand of these
    lines: what a release batch picks where. On PostgreSQL read from the line index alone
    (`fulfillment_alloc_line` carries these columns), whatever order the rows were written in."""
    if connection.vendor != "postgresql":
        return list(
            LineAllocation.objects.filter(
                line_id__in=line_ids, kind=AllocationKind.ON_HAND
            ).values_list("line_id", "center_id", "sku_id", "quantity")
        )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT line_id, center_id, sku_id, quantity FROM fulfillment_lineallocation "
            "WHERE line_id = ANY(%s::bigint[]) AND kind = %s",
            [int_array(line_ids), AllocationKind.ON_HAND.value],
        )
        return cur.fetchall()


def waiting_line_ids(*, sku_ids, among: QuerySet, limit: int) -> list[int]:
    """Lines waiting for stock of these SKUs (expected or undated), oldest wait first; `among`
    is the caller's queryset of the line ids that may take stock."""
    return list(
        LineAllocation.objects.filter(
            sku_id__in=list(sku_ids),
            kind__in=[AllocationKind.EXPECTED, AllocationKind.BACKORDER],
            line_id__in=among,
        )
        .values("line_id")
        .annotate(since=Min("allocated_at"))
        .order_by("since", "line_id")
        .values_list("line_id", flat=True)[:limit]
    )


def has_free_stock(*, sku_ids) -> bool:
    """Whether any of these SKUs has stock on hand or expected stock not yet promised."""
    sku_ids = list(sku_ids)
    return (
        Inventory.objects.filter(sku_id__in=sku_ids, on_hand__gt=F("allocated")).exists()
        or ExpectedInventory.objects.filter(
            sku_id__in=sku_ids, quantity__gt=F("received_quantity") + F("promised_quantity")
        ).exists()
    )
