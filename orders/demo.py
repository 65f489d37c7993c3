"""Demo orders: one placed order and one parked cart, so Find orders (O) has something to show.

Idempotent: nothing is added when the demo CSR already has orders for these customers.
Placed through the same services the screens use (priced, allocated, sandbox-authorized).
"""

from django.contrib.auth import get_user_model

from catalog.models import SKU
from core.app_data import DemoData
from customers.models import Customer
from orders import services
from orders.models import Order

SKUS = [("NB-BLK-A5", 2), ("PEN-GEL-B", 5)]


def load(log) -> None:
    csr = get_user_model().objects.filter(username="csr").first()
    jane = Customer.objects.filter(logon_id="jane.roe").first()
    john = Customer.objects.filter(logon_id="john.smith").first()
    if csr is None or jane is None:
        log("  skipped: needs the demo CSR and the demo customer jane.roe")
        return
    if Order.objects.filter(created_by=csr, customer__in=[jane, john]).exists():
        log("  kept the demo orders")
        return
    known = set(SKU.objects.filter(code__in=[c for c, _ in SKUS]).values_list("code", flat=True))
    lines = [(code, qty) for code, qty in SKUS if code in known]
    place_demo_order(csr=csr, customer=jane, lines=lines, key="demo", log=log)
    if john is not None:
        parked = services.cart_create(actor=csr, customer=john)
        if "NB-BLK-A5" in known:
            services.line_add(actor=csr, order=parked, sku_code="NB-BLK-A5", quantity=1)
        log(f"  parked {parked} for john.smith")


def place_demo_order(*, csr, customer, lines, key: str, log) -> Order:
    """A registered customer's order as the CSR places it: lines by SKU code, the default
    addresses, a sandbox test card, submit. Left as a parked cart (and said) if incomplete."""
    cart = services.cart_create(actor=csr, customer=customer)
    for code, quantity in lines:
        services.line_add(actor=csr, order=cart, sku_code=code, quantity=quantity)
    if not cart.payments.exists():
        services.payment_set_card(
            actor=csr,
            order=cart,
            card_number="4242424242424242",
            exp_month=12,
            exp_year=2030,
            cvv="123",
        )
    problems = services.submit_problems(cart)
    if problems:
        log(f"  left {cart} as a parked cart: {' '.join(problems.values())}")
        return cart
    result = services.submit_order(actor=csr, order=cart, idempotency_key=f"{key}-{cart.pk}")
    log(f"  placed {result.order} for {customer.logon_id} ({result.order.get_status_display()})")
    return result.order


# The demo orders are allocated from fulfillment's demo stock.
DEMO = DemoData(load=load, after=("core", "customers", "catalog", "pricing", "fulfillment"))
