"""The CSR's "Find catalog item" screen and the SKU page (read-only; admins edit in admin)."""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import get_object_or_404, render

from catalog import availability as stock_availability
from catalog import selectors, services
from catalog.models import SKU, Category, SKUKind
from core.permissions import desk_view
from core.roles import Perm

RESULT_LIMIT = 25


def _prices_and_availability(skus: list[SKU], customer=None) -> tuple[dict | None, dict | None]:
    """Filled by pricing and fulfillment when they provide their selectors; None hides a column."""
    ids = [sku.pk for sku in skus]
    prices = availability = None
    try:
        from pricing.selectors import list_prices
    except ImportError:
        list_prices = None
    availability_of = stock_availability.provider()
    if list_prices is not None:
        prices = (
            list_prices(sku_ids=ids, customer=customer, currency=settings.STORE_CURRENCY)
            if ids
            else {}
        )
    if availability_of is not None:
        kits = [sku for sku in skus if sku.kind == SKUKind.KIT]
        part_ids = {part.component_id for kit in kits for part in kit.components.all()}
        everything = set(ids) | part_ids
        availability = availability_of(sku_ids=sorted(everything)) if everything else {}
        for kit in kits:
            availability[kit.pk] = KitAvailability.of(kit, availability)
    return prices, availability


@dataclass(frozen=True)
class KitAvailability:
    """How many whole kits the parts give now (fulfillment allocates a kit as its parts)."""

    available_now: int

    @classmethod
    def of(cls, kit: SKU, parts: dict) -> "KitAvailability":
        counts = [
            getattr(parts.get(part.component_id), "available_now", 0) // part.quantity
            for part in kit.components.all()
        ]
        return cls(min(counts) if counts else 0)

    @property
    def status(self) -> str:
        return "available" if self.available_now > 0 else "backordered"

    def describe(self) -> str:
        if self.available_now:
            return f"{self.available_now} kits from parts in stock"
        return "a part is out of stock"


def _search_context(request) -> dict:
    query = request.GET.get("q", "").strip()
    category_id = request.GET.get("category") or None
    try:
        category_id = int(category_id) if category_id else None
    except ValueError:
        category_id = None
    buyable_only = request.GET.get("buyable") == "1"
    skus = list(
        selectors.find_catalog_items(
            query=query, category=category_id, buyable_only=buyable_only, limit=RESULT_LIMIT
        )
    )
    prices, availability = _prices_and_availability(skus)
    rows = [
        {
            "sku": sku,
            "price": prices.get(sku.pk) if prices is not None else None,
            "availability": availability.get(sku.pk) if availability is not None else None,
        }
        for sku in skus
    ]
    return {
        "query": query,
        "category_id": category_id,
        "buyable_only": buyable_only,
        "rows": rows,
        "show_price": prices is not None,
        "show_availability": availability is not None,
        "limit": RESULT_LIMIT,
        "searched": bool(query or category_id),
        "currency": settings.STORE_CURRENCY,
    }


@desk_view(Perm.USE_DESK)
def find_items(request):
    context = _search_context(request)
    if request.htmx and request.htmx.target == "catalog-results":
        return render(request, "catalog/_results.html", context)
    context["categories"] = selectors.category_tree()
    return render(request, "catalog/find_items.html", context)


@desk_view(Perm.USE_DESK)
def sku_detail(request, code: str):
    sku = get_object_or_404(
        selectors.catalog_items_base().select_related("product__category"),
        code=code.upper(),
    )
    product = sku.product
    ancestors = Category.objects.filter(pk__in=product.category.ancestor_ids).order_by("depth")
    values = sku.values.select_related("attribute", "value").order_by("attribute__name")
    descriptions = product.descriptions.select_related("attribute")
    siblings = (
        product.skus.with_buyable().exclude(pk=sku.pk).order_by("code")[:40]
        if sku.variant_key
        else []
    )
    in_kits = sku.in_kits.select_related("kit").order_by("kit__code")
    prices, availability = _prices_and_availability([sku])
    refusal = None if sku.is_buyable else services.not_buyable_reason(sku)
    return render(
        request,
        "catalog/sku_detail.html",
        {
            "sku": sku,
            "refusal": refusal,
            "product": product,
            "ancestors": ancestors,
            "values": values,
            "descriptions": descriptions,
            "siblings": siblings,
            "in_kits": in_kits,
            "price": prices.get(sku.pk) if prices is not None else None,
            "show_price": prices is not None,
            "availability": availability.get(sku.pk) if availability is not None else None,
            "show_availability": availability is not None,
            "currency": settings.STORE_CURRENCY,
        },
    )
