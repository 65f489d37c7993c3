"""What other apps tell the catalog's screens about SKUs: a list price, the availability.

Catalog sits below pricing and fulfillment and never imports them. Each registers a provider
for the fact it knows in its AppConfig.ready(); a screen asks `look_up(fact, sku_ids)`, and a
fact that no app provides is a column the screen does not show.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

LIST_PRICE = "list_price"  # provider(sku_ids=[...]) -> {sku_id: Decimal}, in the store currency
AVAILABILITY = "availability"  # provider(sku_ids=[...]) -> {sku_id: Availability}, every id


class Availability(Protocol):
    """What the availability column shows of a SKU."""

    available_now: int

    @property
    def status(self) -> str:
        """available, expected or backordered"""

    def describe(self) -> str: ...


Provider = Callable[..., dict[int, Decimal] | dict[int, Availability]]
_providers: dict[str, Provider] = {}


def register(fact: str, provider: Provider) -> None:
    if fact not in (LIST_PRICE, AVAILABILITY):
        raise ImproperlyConfigured(f"The catalog shows no fact called {fact!r}.")
    if _providers.get(fact, provider) is not provider:
        raise ImproperlyConfigured(f"Two apps provide the catalog's {fact}.")
    _providers[fact] = provider


def is_provided(fact: str) -> bool:
    return fact in _providers


def look_up(fact: str, sku_ids: list[int]) -> dict:
    """The fact for each SKU (a SKU the provider knows nothing of is left out)."""
    return _providers[fact](sku_ids=sku_ids) if sku_ids else {}
