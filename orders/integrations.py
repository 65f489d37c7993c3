"""The other apps' functions that orders calls, in one place.

Orders sits on top of customers, catalog, pricing and fulfillment; this module names exactly what
it uses of them, so the order services read as one flow and the dependencies are easy to see.
"""

from __future__ import annotations

from django.db.models import QuerySet

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import SKU, buyable_q, normalize_code
from catalog.models import compact_code as compact_code  # re-exported: the item box's compare
from customers import credit as customer_credit
from customers import phones
from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Customer, PaymentMethod, Segment
from fulfillment.inventory import selectors as inventory_selectors
from pricing import selectors as pricing_selectors
from pricing import services as pricing_services
from pricing.models import Coupon, OrderAdjustment
from pricing.services import order_changes as pricing_order_changes

# --- customers -------------------------------------------------------------------------------

ensure_can_order = customer_services.ensure_can_order
# Store credit: the customer's balance, spent on an order at submit, given back on cancel.
store_credit_balance = customer_credit.store_credit_balance
store_credit_spend = customer_credit.store_credit_spend
store_credit_release = customer_credit.store_credit_release
normalize_phone = phones.normalize_phone
# A business account's credit limit (issue 16): the account and its members, for the open total.
credit_account = customer_selectors.credit_account
account_member_ids = customer_selectors.account_member_ids


def customer_ids_matching(
    *,
    logon_id: str = "",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone_digits: str = "",
) -> QuerySet:
    """Ids of the customers matching every field given, as a subquery for the order search.
    Each lookup is one that customers' search indexes serve (customers migration 0003)."""
    qs = Customer.objects.order_by()
    if logon_id:
        qs = qs.filter(logon_id__iexact=logon_id)
    if email:
        qs = qs.filter(email__iexact=email)
    if first_name:
        qs = qs.filter(first_name__istartswith=first_name)
    if last_name:
        qs = qs.filter(last_name__istartswith=last_name)
    if phone_digits:
        qs = qs.filter(phone_digits__contains=phone_digits)
    return qs.values("pk")


def customers_found(query: str, *, limit: int) -> list:
    """The first customers the "Find customer" quick search finds for `query`."""
    return list(
        customer_selectors.for_result_list(
            customer_selectors.find_customers(query=query, limit=limit)
        )[:limit]
    )


def customers_by_id(ids) -> list:
    return list(Customer.objects.filter(pk__in=list(ids)).select_related("organization"))


def pinned_notes(customer_id: int) -> list:
    return list(customer_selectors.customer_notes(customer_id, pinned_only=True))


def segments_of(customer_id: int) -> list:
    return list(Segment.objects.filter(customers__pk=customer_id))


def stored_payment_methods(customer) -> list:
    if customer is None:
        return []
    return list(PaymentMethod.objects.filter(customer=customer).order_by("-is_default", "-id"))


def save_payment_method(*, actor, customer, token) -> None:
    customer_services.payment_method_add(
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
    customer_services.address_create(actor=actor, customer=customer, data=data)


# --- catalog ---------------------------------------------------------------------------------

ensure_buyable = catalog_services.ensure_buyable


def sku_ids_with_code(code: str) -> QuerySet:
    """The SKU with this code (codes are stored upper case), as a subquery."""
    return SKU.objects.filter(code=normalize_code(code)).values("pk")


def find_items(query: str, limit: int = 8) -> list:
    return list(catalog_selectors.find_catalog_items(query=query, buyable_only=False, limit=limit))


def is_buyable(sku) -> bool:
    return bool(sku.is_buyable)


def buyable_ids(sku_ids) -> set[int]:
    """Which of these SKUs can be ordered now, in one query."""
    return set(
        catalog_selectors.buyable_skus().filter(pk__in=list(sku_ids)).values_list("pk", flat=True)
    )


def annotate_sku_buyable(lines_qs, now):
    """Annotate `sku_buyable` on order lines: the catalog's one rule, in the lines' own query."""
    from django.db.models import BooleanField, ExpressionWrapper

    return lines_qs.annotate(
        sku_buyable=ExpressionWrapper(buyable_q(now, prefix="sku__"), output_field=BooleanField())
    )


def associations(sku_ids) -> dict[int, list]:
    """Accessories, replacements and the like per SKU."""
    return catalog_selectors.associations_for_skus(sku_ids=list(sku_ids))


# --- pricing ---------------------------------------------------------------------------------
# Orders describes an order to pricing (`orders.pricing`) and writes the priced result itself;
# these pricing functions write only pricing's tables.

reprice_order = pricing_services.reprice_order
finalize_order_pricing = pricing_services.finalize_order_pricing
release_order_pricing = pricing_services.release_order_pricing
settle_changed_usage = pricing_order_changes.settle_changed_usage  # issue 16
enter_promotion_code = pricing_services.enter_promotion_code
remove_promotion_code = pricing_services.remove_promotion_code
redeem_coupon = pricing_services.redeem_coupon
remove_coupon = pricing_services.remove_coupon
remove_adjustment = pricing_services.remove_adjustment
add_adjustment = pricing_services.add_adjustment
approve_adjustment = pricing_services.approve_adjustment
adjustment = pricing_selectors.adjustment
awaiting_approval = pricing_selectors.awaiting_approval
ApprovalNeeded = pricing_services.ApprovalNeeded
PricingChanged = pricing_services.PricingChanged
list_prices = pricing_selectors.list_prices
is_promotion_code = pricing_selectors.is_promotion_code
promotion_code_named = pricing_selectors.promotion_code_named


def wallet(customer) -> list:
    return [] if customer is None else list(pricing_selectors.wallet(customer=customer))


def order_codes(order) -> list:
    return list(pricing_selectors.order_codes(order=order))


def order_adjustments(order) -> list:
    return pricing_selectors.order_adjustments(order=order)


def order_coupons(order) -> list:
    return list(Coupon.objects.filter(order_id=order.pk).order_by("id"))


def adjustment_choices() -> tuple[list, list]:
    return OrderAdjustment.Kind.choices, OrderAdjustment.ReasonCode.choices


# --- fulfillment (inventory) -----------------------------------------------------------------
# Allocation itself (lines locked, inventory asked, statuses and events written) is
# orders/allocation.py; the screens read what lines hold and what could be had from here.


def held_stock(*, line_ids) -> dict[int, dict]:
    """What each line holds: on-hand, expected and backordered quantities, centers, date."""
    if not line_ids:
        return {}
    return inventory_selectors.line_allocation_summary(line_ids=line_ids)


def availability(*, sku_ids) -> dict[int, inventory_selectors.Availability]:
    """Availability to promise per SKU, from every active center."""
    if not sku_ids:
        return {}
    return inventory_selectors.availability(sku_ids=list(sku_ids))
