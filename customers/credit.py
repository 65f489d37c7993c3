"""Store credit: the customer's balance, the one writer of `StoreCreditEntry` rows.

Customers own the ledger because a credit balance is part of the customer's account, like the
stored cards, and both apps that use it sit above customers: returns credit it (a refund as
store credit) and orders spend it (the Bill & pay panel and submit). Neither may import the
other's side, so both call down here.

An advance credit whose goods never came is taken back (`store_credit_reverse`), as far as the
balance still holds it.

Race safety: every write locks the customer row first (`select_for_update`), then reads the
balance and writes; two orders spending the same credit take turns, and the second sees what
the first spent. The balance never goes negative (the spend is refused instead).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from core.errors import DomainError
from core.events import EventType
from core.money import ZERO, quantize
from customers.models import Customer, CustomerEvent, StoreCreditEntry

K = StoreCreditEntry.Kind


def store_credit_balance(customer_id: int | None) -> Decimal:
    if not customer_id:
        return ZERO
    total = StoreCreditEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("amount"))
    # To the cent: SQLite sums decimals as floats and gives back 15, not 15.00.
    return quantize(total["s"] or ZERO)


def _lock(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def _event(customer, event_type, actor, summary: str, **data) -> None:
    CustomerEvent.objects.create(
        customer=customer,
        event_type=event_type,
        actor=actor if actor is not None and actor.pk else None,
        summary=summary[:255],
        data=data,
    )


def _positive(amount, currency: str) -> Decimal:
    amount = quantize(Decimal(str(amount)), currency)
    if amount <= 0:
        raise DomainError("A store credit amount must be more than 0.", field="store_credit")
    return amount


@transaction.atomic
def store_credit_add(
    *, actor, customer_id: int, amount, currency: str, reference: str, note: str = ""
) -> StoreCreditEntry:
    """Credit the customer (a return refunded as store credit). Once per reference: asked
    again, it returns the entry it made."""
    amount = _positive(amount, currency)
    customer = _lock(customer_id)
    found = StoreCreditEntry.objects.filter(
        customer=customer, kind=K.CREDIT, reference=reference
    ).first()
    if found is not None:
        return found
    entry = StoreCreditEntry.objects.create(
        customer=customer,
        kind=K.CREDIT,
        amount=amount,
        currency=currency,
        reference=reference,
        note=note[:255],
        actor=actor if actor is not None and actor.pk else None,
    )
    _event(
        customer,
        EventType.STORE_CREDIT_ADDED,
        actor,
        f"Store credit {amount} {currency}: {note or reference}",
        amount=str(amount),
        reference=reference,
    )
    return entry


@transaction.atomic
def store_credit_spend(
    *, actor, customer_id: int, amount, currency: str, reference: str
) -> StoreCreditEntry:
    """Spend credit on an order: refused when the balance (read under the customer's row
    lock) is short. Once per reference (an order spends its credit once)."""
    amount = _positive(amount, currency)
    customer = _lock(customer_id)
    found = StoreCreditEntry.objects.filter(
        customer=customer, kind=K.SPEND, reference=reference
    ).first()
    if found is not None:
        return found
    balance = store_credit_balance(customer.pk)
    if amount > balance:
        raise DomainError(
            f"The customer's store credit is {balance} {currency}; {amount} cannot be used.",
            field="store_credit",
        )
    entry = StoreCreditEntry.objects.create(
        customer=customer,
        kind=K.SPEND,
        amount=-amount,
        currency=currency,
        reference=reference,
        actor=actor if actor is not None and actor.pk else None,
    )
    _event(
        customer,
        EventType.STORE_CREDIT_SPENT,
        actor,
        f"Store credit {amount} {currency} used: {reference}",
        amount=str(amount),
        reference=reference,
        balance=str(balance - amount),
    )
    return entry


@transaction.atomic
def store_credit_release(*, actor, customer_id: int, reference: str) -> StoreCreditEntry | None:
    """Give back what a spend took (the order was canceled). Once; None if nothing was spent."""
    customer = _lock(customer_id)
    spent = StoreCreditEntry.objects.filter(
        customer=customer, kind=K.SPEND, reference=reference
    ).first()
    if spent is None:
        return None
    entry, created = StoreCreditEntry.objects.get_or_create(
        customer=customer,
        kind=K.RELEASE,
        reference=reference,
        defaults={
            "amount": -spent.amount,
            "currency": spent.currency,
            "actor": actor if actor is not None and actor.pk else None,
        },
    )
    if created:
        _event(
            customer,
            EventType.STORE_CREDIT_RELEASED,
            actor,
            f"Store credit {entry.amount} {entry.currency} given back: {reference}",
            amount=str(entry.amount),
            reference=reference,
        )
    return entry


@transaction.atomic
def store_credit_reverse(
    *, actor, customer_id: int, amount, currency: str, reference: str
) -> StoreCreditEntry | None:
    """Take back a credit given in advance whose goods never came: as much of `amount` as the
    balance still holds (what was spent meanwhile is not clawed into a negative balance).
    Once per reference; None when nothing is left to take."""
    amount = _positive(amount, currency)
    customer = _lock(customer_id)
    found = StoreCreditEntry.objects.filter(
        customer=customer, kind=K.REVERSAL, reference=reference
    ).first()
    if found is not None:
        return found
    taken = min(amount, store_credit_balance(customer.pk))
    if taken <= 0:
        return None
    entry = StoreCreditEntry.objects.create(
        customer=customer,
        kind=K.REVERSAL,
        amount=-taken,
        currency=currency,
        reference=reference,
        actor=actor if actor is not None and actor.pk else None,
    )
    _event(
        customer,
        EventType.STORE_CREDIT_SPENT,
        actor,
        f"Store credit {taken} {currency} taken back: {reference}",
        amount=str(taken),
        reference=reference,
        asked=str(amount),
    )
    return entry
