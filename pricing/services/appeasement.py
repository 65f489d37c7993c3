"""Appeasement coupons: a CSR puts a coupon into a caller's wallet within their limit; store
admins issue a coupon to a whole member group."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm, StaffPerm
from pricing import models as m
from pricing.services.adjustments import adjustment_limit_for
from pricing.services.codes import _coupon_code


def _write_coupons(*, promotion, customers, actor, now, **event_data) -> list[m.Coupon]:
    """One coupon of `promotion` per customer, expiring after the promotion's days; one audit
    row per coupon."""
    expires_at = now + timedelta(days=promotion.coupon_valid_days or 30)
    coupons = m.Coupon.objects.bulk_create(
        m.Coupon(
            promotion=promotion,
            customer=customer,
            code=_coupon_code(),
            issued_at=now,
            expires_at=expires_at,
        )
        for customer in customers
    )
    m.PricingEvent.objects.bulk_create(
        m.PricingEvent(
            event_type=int(E.COUPON_ISSUED),
            actor=actor,
            subject=coupon.code,
            data={
                "customer": coupon.customer_id,
                "promotion": promotion.pk,
                "expires_at": expires_at.isoformat(),
                **event_data,
            },
        )
        for coupon in coupons
    )
    return coupons


def appeasement_limit_problem(*, actor, promotion) -> str | None:
    """Why `actor` may not give this coupon away (None when they may). The value counts
    against the same limits as CSR adjustments (AdjustmentLimit of the actor's roles): a
    percentage off against the largest percentage, an amount off against the largest amount;
    a coupon worth neither (free shipping, a gift) needs unlimited rights. Store admins have
    no limit."""
    if actor.has_perm(Perm.MANAGE_STORE):
        return None
    allowed, max_percent, max_amount = adjustment_limit_for(actor)
    if promotion.reward in m.PERCENT_REWARDS:
        within = allowed and (max_percent is None or promotion.percent <= max_percent)
    elif promotion.reward in m.AMOUNT_REWARDS:
        within = allowed and (max_amount is None or promotion.amount <= max_amount)
    else:
        within = allowed and max_percent is None and max_amount is None
    if within:
        return None
    return f"“{promotion}” is over your limit; a supervisor can issue it."


@transaction.atomic
def issue_appeasement_coupon(*, promotion, customer, actor, reason: str, now=None) -> m.Coupon:
    """A CSR puts a coupon into a caller's wallet to make up for a problem, within their limit
    (appeasement_limit_problem); the reason is kept in the audit row."""
    require(actor, StaffPerm.ISSUE_APPEASEMENT, "issue appeasement coupons")
    if not (promotion.is_coupon and promotion.is_active):
        raise DomainError(f"“{promotion}” is not an active coupon promotion.", field="promotion")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the customer gets the coupon.", field="reason")
    problem = appeasement_limit_problem(actor=actor, promotion=promotion)
    if problem:
        raise NotAllowed(problem)
    (coupon,) = _write_coupons(
        promotion=promotion,
        customers=[customer],
        actor=actor,
        now=now or timezone.now(),
        appeasement=reason,
    )
    return coupon


@transaction.atomic
def issue_coupons_to_segment(*, promotion, segment, actor, now=None) -> list[m.Coupon]:
    """Store admins: a coupon of `promotion` for every member of `segment` who has no usable
    one of it yet (so running it again issues only to new members)."""
    require(actor, Perm.MANAGE_STORE, "issue coupons to a member group")
    if not (promotion.is_coupon and promotion.is_active):
        raise DomainError(f"“{promotion}” is not an active coupon promotion.", field="promotion")
    now = now or timezone.now()
    holders = m.Coupon.objects.filter(
        promotion=promotion, status=m.Coupon.Status.AVAILABLE, expires_at__gt=now
    ).values("customer_id")
    members = segment.customers.filter(is_enabled=True).exclude(pk__in=holders)
    return _write_coupons(
        promotion=promotion, customers=list(members), actor=actor, now=now, segment=segment.code
    )
