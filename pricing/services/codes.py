"""Promotion codes the customer quotes and coupons from the customer's wallet, on an order.

They change what is attached to the order; orders reprices right after."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotAllowed, NotFound
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from pricing import models as m
from pricing.services.events import event


def _normalize_code(code: str) -> str:
    return (code or "").strip().upper()


@transaction.atomic
def enter_promotion_code(
    *, order_id: int, customer_id: int | None, code: str, actor, now=None
) -> m.OrderPromotionCode:
    """Attach a promotion code the customer quoted. Unknown or expired codes are refused with
    the reason. Call `reprice_order` afterwards."""
    require(actor, Perm.USE_DESK, "enter promotion codes")
    now = now or timezone.now()
    normalized = _normalize_code(code)
    if not normalized:
        raise DomainError("Enter the promotion code.", field="code")
    promotion = m.Promotion.objects.filter(code__iexact=normalized).first()
    if promotion is None:
        raise DomainError(
            f"{normalized} is not a promotion code we know. Check the spelling with the customer.",
            field="code",
        )
    if not promotion.is_active:
        raise DomainError(f"{normalized} is no longer offered.", field="code")
    if promotion.ends_at and promotion.ends_at <= now:
        raise DomainError(
            f"{normalized} expired on {timezone.localtime(promotion.ends_at):%Y-%m-%d %H:%M}.",
            field="code",
        )
    if promotion.starts_at and promotion.starts_at > now:
        raise DomainError(
            f"{normalized} starts on {timezone.localtime(promotion.starts_at):%Y-%m-%d %H:%M}; "
            "it cannot be used yet.",
            field="code",
        )
    segment_names = list(promotion.segments.values_list("name", flat=True))
    if segment_names and (
        customer_id is None or not promotion.segments.filter(customers=customer_id).exists()
    ):
        raise DomainError(
            f"{normalized} is only for {' or '.join(segment_names)} customers.", field="code"
        )
    if m.OrderPromotionCode.objects.filter(order_id=order_id, promotion=promotion).exists():
        raise DomainError(f"{normalized} is already on this order.", field="code")
    entered = m.OrderPromotionCode.objects.create(
        order_id=order_id, code=normalized, promotion=promotion, entered_by=actor
    )
    event(E.PROMOTION_CODE_ENTERED, actor, order_id=order_id, subject=normalized, new=normalized)
    return entered


@transaction.atomic
def remove_promotion_code(*, order_id: int, code: str, actor) -> None:
    require(actor, Perm.USE_DESK, "remove promotion codes")
    normalized = _normalize_code(code)
    deleted, _ = m.OrderPromotionCode.objects.filter(
        order_id=order_id, code__iexact=normalized
    ).delete()
    if not deleted:
        raise NotFound(f"{normalized} is not on this order.", field="code")
    event(E.PROMOTION_CODE_REMOVED, actor, order_id=order_id, subject=normalized, old=normalized)


# --- coupons ---------------------------------------------------------------------------------


def _coupon_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "CPN-" + "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def issue_coupon(*, promotion, customer, actor, now=None) -> m.Coupon:
    """Put a coupon of a coupon promotion into a customer's wallet; it expires after the
    promotion's `coupon_valid_days`."""
    if not (actor and (actor.has_perm(Perm.MANAGE_STORE) or actor.has_perm(Perm.SUPERVISE))):
        raise NotAllowed("You do not have permission to issue coupons.")
    if not promotion.is_coupon:
        raise DomainError(f"“{promotion}” is not a coupon promotion.", field="promotion")
    now = now or timezone.now()
    coupon = m.Coupon.objects.create(
        promotion=promotion,
        customer=customer,
        code=_coupon_code(),
        issued_at=now,
        expires_at=now + timedelta(days=promotion.coupon_valid_days or 30),
    )
    event(
        E.COUPON_ISSUED,
        actor,
        subject=coupon.code,
        customer=customer.pk,
        promotion=promotion.pk,
        expires_at=coupon.expires_at.isoformat(),
    )
    return coupon


@transaction.atomic
def redeem_coupon(
    *, order_id: int, customer_id: int | None, coupon_id, actor, now=None
) -> m.Coupon:
    """ "Select coupon to redeem": the coupon applies to this order; consumed on submit."""
    require(actor, Perm.USE_DESK, "redeem coupons")
    now = now or timezone.now()
    coupon = (
        m.Coupon.objects.select_for_update()
        .select_related("promotion")
        .filter(pk=coupon_id)
        .first()
    )
    if coupon is None or customer_id is None or coupon.customer_id != customer_id:
        raise NotFound("That coupon is not in this customer's wallet.", field="coupon")
    if coupon.status != m.Coupon.Status.AVAILABLE:
        raise DomainError(f"Coupon {coupon.code} was already used.", field="coupon")
    if coupon.expires_at <= now:
        raise DomainError(
            f"Coupon {coupon.code} expired on {timezone.localtime(coupon.expires_at):%Y-%m-%d}.",
            field="coupon",
        )
    if coupon.order_id == order_id:
        return coupon
    # An available coupon stays selected on an order only while it is a cart: submit consumes
    # it or lets it go (`finalize_order_pricing`), cancel returns it (`release_order_pricing`).
    if coupon.order_id is not None:
        raise DomainError(
            f"Coupon {coupon.code} is selected on cart #{coupon.order_id}; remove it there first.",
            field="coupon",
        )
    coupon.order_id = order_id
    coupon.save(update_fields=["order"])
    event(E.COUPON_SELECTED, actor, order_id=order_id, subject=coupon.code, new=coupon.code)
    return coupon


@transaction.atomic
def remove_coupon(*, order_id: int, coupon_id, actor) -> None:
    require(actor, Perm.USE_DESK, "remove coupons")
    coupon = m.Coupon.objects.select_for_update().filter(pk=coupon_id, order_id=order_id).first()
    if coupon is None or coupon.status != m.Coupon.Status.AVAILABLE:
        raise NotFound("That coupon is not selected on this order.", field="coupon")
    coupon.order = None
    coupon.save(update_fields=["order"])
    event(E.COUPON_DESELECTED, actor, order_id=order_id, subject=coupon.code, old=coupon.code)
