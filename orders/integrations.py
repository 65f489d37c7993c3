"""The other apps' functions that orders calls, in one place.

Each adapter calls the agreed function of the owning app (catalog, customers, pricing,
fulfillment). The apps were built in parallel with this one; where a function is not there
yet, the adapter degrades in the plainest safe way (documented per function) instead of
failing, so the order screen keeps working: availability shows "unknown", allocation leaves the
line unallocated, and pricing falls back to the unit prices already on the lines.
"""

from __future__ import annotations

import importlib
from decimal import Decimal

from core.errors import DomainError
from core.money import quantize


def _fn(module: str, name: str):
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


class FeatureMissing(DomainError):
    code = "not_available"


# --- customers -------------------------------------------------------------------------------


def ensure_can_order(customer) -> None:
    fn = _fn("customers.services", "ensure_can_order")
    if fn:
        fn(customer)
        return
    if not customer.is_enabled:
        reason = f" ({customer.disabled_reason})" if customer.disabled_reason else ""
        raise DomainError(f"{customer.full_name}'s account is disabled{reason}; it cannot order.")


def payment_method_model():
    try:
        from customers.models import PaymentMethod
    except ImportError:
        return None
    return PaymentMethod


def stored_payment_methods(customer) -> list:
    model = payment_method_model()
    if model is None or customer is None:
        return []
    return list(model.objects.filter(customer=customer).order_by("-is_default", "-id"))


def save_payment_method(*, actor, customer, token) -> None:
    fn = _fn("customers.services", "payment_method_add")
    if fn is None:
        raise FeatureMissing("Cards cannot be saved to the customer yet.")
    fn(
        actor=actor,
        customer=customer,
        gateway_token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
    )


def save_address_to_book(*, actor, customer, data: dict) -> None:
    """Adds a new ship-to address to a registered customer's address book."""
    fn = _fn("customers.services", "address_create")
    if fn:
        fn(actor=actor, customer=customer, data=data)
        return
    raise FeatureMissing("The address book cannot be written yet; the address is on the order.")


# --- catalog ---------------------------------------------------------------------------------


def ensure_buyable(sku) -> None:
    fn = _fn("catalog.services", "ensure_buyable")
    if fn:
        fn(sku)
        return
    if not is_buyable(sku):
        raise DomainError(f"{sku.code} cannot be sold now; pick another item.")


def find_items(query: str, limit: int = 8):
    fn = _fn("catalog.selectors", "find_catalog_items")
    if fn:
        return list(fn(query=query, buyable_only=False, limit=limit))
    from django.db.models import Q

    from catalog.models import SKU

    q = query.strip()
    return list(
        SKU.objects.select_related("product")
        .filter(Q(code__istartswith=q) | Q(name__icontains=q))
        .order_by("code")[:limit]
    )


def is_buyable(sku) -> bool:
    value = getattr(sku, "is_buyable", None)
    if value is not None:
        return bool(value)
    state = getattr(sku.product, "state", "available")
    return bool(getattr(sku, "is_active", True)) and state == "available"


def buyable_ids(sku_ids) -> set[int]:
    """Which of these SKUs can be ordered now, in one query."""
    fn = _fn("catalog.selectors", "buyable_skus")
    if fn is None:
        from catalog.models import SKU

        return {s.pk for s in SKU.objects.filter(pk__in=list(sku_ids)) if is_buyable(s)}
    return set(fn().filter(pk__in=list(sku_ids)).values_list("pk", flat=True))


def associations(sku_ids) -> dict[int, list]:
    """Accessories and replacements per SKU, if catalog provides a selector for them."""
    fn = _fn("catalog.selectors", "associations_for_skus")
    if fn is None:
        return {}
    try:
        return fn(sku_ids=list(sku_ids))
    except TypeError:
        return {}


# --- pricing ---------------------------------------------------------------------------------


def reprice(*, order, actor=None):
    """Reprices the order (pricing writes line and order totals). Returns pricing's result.

    Fallback without pricing: line totals from the unit prices already on the lines.
    """
    fn = _fn("pricing.services", "reprice_order")
    if fn:
        return fn(order=order, actor=actor)
    from orders.models import OrderLine

    subtotal = Decimal("0")
    discount = Decimal("0")
    for line in OrderLine.objects.filter(order=order):
        total = quantize(line.unit_price * line.quantity - line.discount_total, order.currency)
        if total != line.line_total:
            line.line_total = total
            line.save(update_fields=["line_total"])
        subtotal += line.unit_price * line.quantity
        discount += line.discount_total
    order.subtotal = quantize(subtotal, order.currency)
    order.discount_total = quantize(discount, order.currency)
    order.total = quantize(
        order.subtotal - order.discount_total + order.shipping_total + order.tax_total,
        order.currency,
    )
    type(order).objects.filter(pk=order.pk).update(
        subtotal=order.subtotal, discount_total=order.discount_total, total=order.total
    )
    return None


def pricing_call(name: str, **kwargs):
    fn = _fn("pricing.services", name)
    if fn is None:
        raise FeatureMissing(f"Pricing does not offer {name.replace('_', ' ')} yet.")
    return fn(**kwargs)


def finalize_pricing(*, order, actor) -> None:
    fn = _fn("pricing.services", "finalize_order_pricing")
    if fn:
        fn(order=order, actor=actor)


def release_pricing(*, order, actor) -> None:
    fn = _fn("pricing.services", "release_order_pricing")
    if fn:
        fn(order=order, actor=actor)


def wallet(customer) -> list:
    fn = _fn("pricing.selectors", "wallet")
    if fn is None or customer is None:
        return []
    return list(fn(customer=customer))


def order_codes(order) -> list:
    fn = _fn("pricing.selectors", "order_codes")
    return list(fn(order=order)) if fn else []


def adjustment_choices() -> tuple[list, list]:
    try:
        from pricing.models import OrderAdjustment
    except ImportError:
        return [], []
    return OrderAdjustment.Kind.choices, OrderAdjustment.ReasonCode.choices


def explanation(order) -> object | None:
    """The priced result's explanation for the panel, if pricing offers a read for it."""
    fn = _fn("pricing.selectors", "order_explanation")
    if fn:
        return fn(order=order)
    return None


# --- fulfillment -----------------------------------------------------------------------------


def allocate_line(*, line, actor=None) -> None:
    """Allocation depends on where the line ships: a line without a ship-to waits for one."""
    if line.ship_to_id is None:
        return
    fn = _fn("fulfillment.services", "allocate_line")
    if fn:
        fn(line=line, actor=actor)


def deallocate_line(*, line, actor=None) -> None:
    fn = _fn("fulfillment.services", "deallocate_line")
    if fn:
        fn(line=line, actor=actor)


def allocate_order(*, order, actor=None) -> None:
    fn = _fn("fulfillment.services", "allocate_order")
    if fn:
        fn(order=order, actor=actor)
        return
    from orders.models import OrderLine

    for line in OrderLine.objects.filter(order=order):
        allocate_line(line=line, actor=actor)


def apply_atp_choice(*, order, choice, actor) -> list:
    fn = _fn("fulfillment.services", "apply_atp_choice")
    if fn:
        return fn(order=order, choice=choice, actor=actor) or []
    return []


def availability(*, sku_ids, ship_to=None) -> dict:
    fn = _fn("fulfillment.selectors", "availability")
    if fn is None or not sku_ids:
        return {}
    return fn(sku_ids=list(sku_ids), ship_to=ship_to)


def move_backorders(*, order, actor):
    fn = _fn("fulfillment.services", "move_backorders_to_new_order")
    if fn is None:
        raise FeatureMissing("Moving backorders to a new order is not available yet.")
    return fn(order=order, actor=actor)
