"""Stock availability for the catalog screens, provided by the app that holds the stock.

Catalog sits below inventory (fulfillment/inventory) in the layers, so it cannot ask inventory
directly: inventory's app hands its availability function over at startup (fulfillment's
AppConfig.ready). Without a provider the screens hide the availability column.
"""

from __future__ import annotations

from collections.abc import Callable

# availability(sku_ids=[...]) -> {sku_id: an object with available_now, status, describe()}
AvailabilityOf = Callable[..., dict]

_provider: list[AvailabilityOf] = []


def provide(availability_of: AvailabilityOf) -> None:
    _provider[:] = [availability_of]


def provider() -> AvailabilityOf | None:
    return _provider[0] if _provider else None
