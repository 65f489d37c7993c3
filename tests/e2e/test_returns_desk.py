"""A caller returns 1 of 2 notebooks of a "buy 2, get a case" order: the refund shows the
clawed-back case, the return is approved automatically, the RMA e-mail goes out, operations
receive it, stock goes up, the refund reaches the sandbox gateway and the order screen shows
it."""

from decimal import Decimal

from django.core import mail
from playwright.sync_api import expect

from fulfillment.models import Inventory
from returns.models import ReturnReason, ReturnRefund, ReturnRequest
from tests.e2e.conftest import log_in, screenshot, wait_for_scripts
from tests.returns.conftest import shipped_gift_order


def test_a_csr_returns_a_notebook_and_operations_receive_it(page, csr, operations):
    order, notebook, _case = shipped_gift_order(operations=operations)
    # get_or_create: the data migration made it, unless an earlier transactional test flushed it
    reason = ReturnReason.objects.get_or_create(code="damaged", defaults={"label": "Damaged"})[0]
    stock_before = Inventory.objects.get(sku=notebook).on_hand
    mail.outbox.clear()

    log_in(page, "csr1", "pw-csr1")
    page.goto("/returns/")
    wait_for_scripts(page)
    page.keyboard.press("n")
    expect(page.get_by_label("From order number")).to_be_focused()
    page.keyboard.type(order.number)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Return RMA")).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("l")
    quantity = page.get_by_label("Quantity of NB-A5 to return")
    expect(quantity).to_be_focused()
    quantity.fill("1")
    page.locator("#order-lines").get_by_label("Reason").select_option(reason.code)
    page.get_by_role("button", name="Add to return").click()
    expect(page.get_by_text("Added to the return.")).to_be_visible()
    expect(page.locator("#refund-total")).to_have_text("5.00 CAD")
    expect(page.locator("#clawback-reason")).to_contain_text("Buy 2 notebooks, get a case")
    expect(page.locator("#clawback-reason")).to_contain_text("keeps 1 × CASE-A5 given free")
    screenshot(page, "returns-entered")

    wait_for_scripts(page)
    page.keyboard.press("s")
    expect(page.locator("#approval")).to_contain_text("approved: from the order, within 30 days")
    expect(page.locator("#return-status")).to_have_text("Approved, waiting for the goods")
    rr = ReturnRequest.objects.get(order=order)
    assert [m.subject for m in mail.outbox] == [
        f"Your return {rr.rma_number} — Northwind Stationery"
    ]
    assert "Less 7.00" in mail.outbox[0].body
    screenshot(page, "returns-approved")

    page.context.clear_cookies()
    log_in(page, "ops1", "pw-ops1")
    page.goto("/returns/receiving/")
    panel = page.locator(f"[data-rma='{rr.rma_number}']")
    expect(panel.get_by_label("Received of NB-A5")).to_have_value("1")
    expect(panel.get_by_label("Disposition of NB-A5")).to_have_value("restock")
    panel.get_by_role("button", name=f"Receive {rr.rma_number}").click()
    expect(page.get_by_text(f"{rr.rma_number} received.")).to_be_visible()
    screenshot(page, "returns-received")

    rr.refresh_from_db()
    assert rr.status == "refunded"
    assert Inventory.objects.get(sku=notebook).on_hand == stock_before + 1
    refund = ReturnRefund.objects.get(return_request=rr)
    assert refund.amount == Decimal("5.00") and refund.refund_id.startswith("sbxrefund_")

    # the CSR's order screen shows its returns (loaded from returns with htmx)
    page.context.clear_cookies()
    log_in(page, "csr1", "pw-csr1")
    page.goto(f"/orders/{order.pk}/")
    returns_part = page.locator("#order-returns")
    expect(returns_part.get_by_role("link", name=rr.rma_number)).to_be_visible()
    expect(returns_part).to_contain_text("Refunded")
    expect(returns_part.get_by_role("button", name="New return R")).to_be_visible()
    screenshot(page, "returns-on-order-screen")


def test_a_failed_refund_is_retried_from_the_payment_attention_list(
    page, settings, csr, operations
):
    from returns import receiving, services
    from tests.returns.test_refund_recovery import FailingRefunds  # noqa: F401 (the setting)

    order, notebook, _case = shipped_gift_order(operations=operations)
    reason = ReturnReason.objects.get_or_create(code="damaged", defaults={"label": "Damaged"})[0]
    rr = services.create_return(actor=csr, order=order)
    services.add_order_lines(
        actor=csr,
        return_request=rr,
        quantities={order.lines.get(sku=notebook).pk: 2},
        reason=reason.code,
        disposition="restock",
    )
    services.submit_return(actor=csr, return_request=rr)
    settings.PAYMENT_GATEWAY = "tests.returns.test_refund_recovery.FailingRefunds"
    assert receiving.receive_return(actor=operations, return_request=rr).status == "refund_failed"
    settings.PAYMENT_GATEWAY = "core.payments.SandboxGateway"

    log_in(page, "ops1", "pw-ops1")
    page.goto("/fulfillment/attention/")
    row = page.locator(f"#refund-attention [data-rma='{rr.rma_number}']")
    expect(row).to_contain_text("The capture is too old to refund.")
    screenshot(page, "returns-refund-attention")
    row.get_by_role("button", name=f"Retry refund {rr.rma_number}").click()
    expect(page.get_by_text(f"Refund of {rr.rma_number} retried.")).to_be_visible()
    expect(page.locator("#refund-attention")).to_contain_text("No refund needs attention.")
    rr.refresh_from_db()
    assert rr.status == "refunded"
    # both notebooks back, the case kept: 24.00 less the case it no longer earns
    assert ReturnRefund.objects.get(return_request=rr).amount == Decimal("17.00")


def test_an_exchange_sends_the_notebook_again_on_a_linked_order(page, csr, operations):
    order, _notebook, _case = shipped_gift_order(operations=operations)
    reason = ReturnReason.objects.get_or_create(code="damaged", defaults={"label": "Damaged"})[0]

    log_in(page, "csr1", "pw-csr1")
    page.goto(f"/orders/{order.pk}/")
    wait_for_scripts(page)
    expect(page.locator("#order-returns")).to_contain_text("No returns.")
    page.keyboard.press("r")  # New return, from the order screen
    expect(page.get_by_role("heading", name="Return RMA")).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("l")
    page.get_by_label("Quantity of NB-A5 to return").fill("1")
    page.locator("#order-lines").get_by_label("Reason").select_option(reason.code)
    page.get_by_role("button", name="Add to return").click()
    expect(page.get_by_text("Added to the return.")).to_be_visible()
    page.get_by_label("Refund to").select_option("exchange")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Exchange: the items are sent again")).to_be_visible()
    wait_for_scripts(page)
    page.keyboard.press("s")
    expect(page.locator("#return-status")).to_have_text("Approved, waiting for the goods")
    rr = ReturnRequest.objects.get(order=order)
    replacement = rr.exchange_order
    assert replacement.lines.get().line_total == Decimal("12.00")  # the price paid
    screenshot(page, "returns-exchange")
    page.locator("#exchange-order").get_by_role("link", name=replacement.number).click()
    expect(page.locator("#exchange-for")).to_contain_text(f"Exchange for return {rr.rma_number}")
    screenshot(page, "returns-exchange-order")
