"""Pricing's audit rows and the errors its services raise."""

from __future__ import annotations

from decimal import Decimal

from core.errors import DomainError
from core.events import EventType as E
from pricing import models as m
from pricing.engine import PricedOrder


class PricingChanged(DomainError):
    """The order's pricing changed under the CSR (a promotion ran out): review, then submit.

    `priced` holds the new price. Raised before anything is consumed.
    """

    code = "pricing_changed"
    http_status = 409

    def __init__(self, message: str, *, priced: PricedOrder | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.priced = priced


class ApprovalNeeded(DomainError):
    code = "approval_needed"
    http_status = 409


def event(event_type: E, actor, *, order_id=None, subject: str = "", **data) -> m.PricingEvent:
    return m.PricingEvent.objects.create(
        event_type=int(event_type),
        actor=actor if actor is not None and actor.is_authenticated else None,
        order_id=order_id,
        subject=subject[:200],
        data={k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()},
    )
