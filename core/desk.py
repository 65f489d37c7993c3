"""The desk's navigation: one list, shown in the top bar and on the home screen.

An app adds its screen here when the screen exists; items whose URL does not resolve or whose
permission the user lacks are not shown.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from core.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    key: str  # the keyboard shortcut, shown next to the label and in the `?` overlay
    perm: str | None  # None: any signed-in staff user
    description: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "home", "H", None, "Your desk"),
    NavItem("Find customer", "customers:find", "F", Perm.USE_DESK, "Find or create the caller"),
    NavItem("Catalog", "catalog:find", "K", Perm.USE_DESK, "Find catalog item: SKU or name"),
    NavItem(
        "Guest order", "orders:cart_new_guest", "G", Perm.USE_DESK, "Take an order for a guest"
    ),
    NavItem("Find orders", "orders:find", "O", Perm.USE_DESK, "Orders and parked carts"),
    NavItem("Returns", "returns:find", "Z", Perm.USE_DESK, "Return requests (RMA) and refunds"),
    NavItem("Auctions", "auctions:list", "8", Perm.USE_DESK, "Auctions: bids, autobids, closing"),
    NavItem("Approvals", "pricing:approvals", "V", Perm.SUPERVISE, "Adjustments over a CSR limit"),
    NavItem("Holds", "orders:hold_queue", "1", Perm.SUPERVISE, "Held orders to review"),
    NavItem("Audit", "audit", "U", Perm.SUPERVISE, "Every change across the desk, by whom"),
    NavItem("Inventory", "fulfillment:inventory", "I", Perm.RUN_OPERATIONS, "Stock, receiving"),
    NavItem("Operations", "fulfillment:ops", "J", Perm.RUN_OPERATIONS, "Jobs, releases, shipping"),
    NavItem("Store admin", "admin:index", "M", Perm.MANAGE_STORE, "Catalog, prices, promotions"),
    NavItem("Security", "security", "Q", Perm.SUPERVISE, "Locked-out log-ins, open sessions"),
    NavItem("API docs", "api-docs", "D", Perm.USE_DESK, "REST API, OpenAPI 3"),
]


def nav_for(user) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if item.perm and not user.has_perm(item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"item": item, "url": url})
    return items
