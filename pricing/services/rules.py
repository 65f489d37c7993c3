"""Writes of pricing rules: every change bumps the rules version and leaves an audit row."""

from __future__ import annotations

from django.db import transaction

from core.errors import DomainError
from core.events import EventType as E
from core.permissions import require
from core.roles import Perm
from pricing import loader
from pricing import models as m
from pricing.services.events import event


def rules_changed(*, actor, subject: str, **data) -> None:
    """Admin and API writes of rules call this: new cache version and an audit row."""
    loader.bump_rules_version()
    event(E.PRICING_RULE_CHANGED, actor, subject=subject, **data)


@transaction.atomic
def price_list_create(
    *, actor, data: dict, entries: list[dict] | None, category_adjustments: list[dict] | None
) -> m.PriceList:
    """A price list with its entries and category adjustments (over its base list)."""
    require(actor, Perm.MANAGE_STORE, "change price lists")
    price_list = m.PriceList.objects.create(**data)
    _replace_children(price_list, entries or [], category_adjustments or [])
    rules_changed(actor=actor, subject=str(price_list), action="api create")
    return price_list


@transaction.atomic
def price_list_update(
    *,
    actor,
    price_list: m.PriceList,
    data: dict,
    entries: list[dict] | None,
    category_adjustments: list[dict] | None,
) -> m.PriceList:
    """Change a price list; entries or category adjustments given replace the current ones,
    None keeps them."""
    require(actor, Perm.MANAGE_STORE, "change price lists")
    for name, value in data.items():
        setattr(price_list, name, value)
    price_list.save()
    _replace_children(price_list, entries, category_adjustments)
    rules_changed(actor=actor, subject=str(price_list), action="api update")
    return price_list


def _replace_children(price_list: m.PriceList, entries, adjustments) -> None:
    if entries is not None:
        price_list.entries.all().delete()
        m.PriceListEntry.objects.bulk_create(
            [m.PriceListEntry(price_list=price_list, **e) for e in entries]
        )
    if adjustments is not None:
        if adjustments and not price_list.base_list_id:
            raise DomainError(
                "Set the base list first: adjustments apply to it.", field="category_adjustments"
            )
        price_list.category_adjustments.all().delete()
        m.CategoryPriceAdjustment.objects.bulk_create(
            [m.CategoryPriceAdjustment(price_list=price_list, **a) for a in adjustments]
        )
