"""Write paths of the orders app, one module per workflow: carts, lines, addresses, payment,
discounts (codes, coupons, adjustments), availability, comments, submit, after submit, and the
order's e-mails. Every cart change checks the actor's permission, claims the order with a
conditional UPDATE on `version` (a save based on a version somebody else changed raises
StaleVersion, never overwrites), writes one OrderEvent, allocates the changed line and reprices
the cart. Callers import from `orders.services`; the modules are its parts."""

from orders.services._common import (
    ADDRESS_FIELDS,
    MAX_QUANTITY,
    REQUIRED_ADDRESS_FIELDS,
    STALE_MESSAGE,
    PricesChanged,
    SubmitIncomplete,
    SubmitResult,
    _reprice,
)
from orders.services.addresses import (
    billing_address_set,
    ship_to_add,
    ship_to_select,
    shipping_method_set,
)
from orders.services.after_submit import cancel_order, exchange_order_create, reorder
from orders.services.availability import atp_choice_set, backorders_move
from orders.services.carts import cart_create, cart_set_guest
from orders.services.comments import comment_add, order_email
from orders.services.discounts import (
    adjustment_add,
    adjustment_approve,
    adjustment_remove,
    coupon_redeem,
    coupon_remove,
    item_box_enter,
    promotion_code_enter,
    promotion_code_remove,
)
from orders.services.lines import cart_reopen, line_add, line_remove, line_update
from orders.services.notifications import order_comment_send, order_confirmation_send
from orders.services.payment import (
    _current_payment,
    card_amount,
    payment_set_card,
    payment_set_store_credit,
    payment_set_stored,
    store_credit_applied,
)
from orders.services.submit import (
    RESUME_SUBMITS_AFTER,
    resume_interrupted_submits,
    submit_order,
    submit_problems,
)

__all__ = [
    "ADDRESS_FIELDS",
    "MAX_QUANTITY",
    "REQUIRED_ADDRESS_FIELDS",
    "RESUME_SUBMITS_AFTER",
    "STALE_MESSAGE",
    "PricesChanged",
    "SubmitIncomplete",
    "SubmitResult",
    "_current_payment",
    "_reprice",
    "adjustment_add",
    "adjustment_approve",
    "adjustment_remove",
    "atp_choice_set",
    "backorders_move",
    "billing_address_set",
    "cancel_order",
    "card_amount",
    "cart_create",
    "cart_reopen",
    "cart_set_guest",
    "comment_add",
    "coupon_redeem",
    "coupon_remove",
    "exchange_order_create",
    "item_box_enter",
    "line_add",
    "line_remove",
    "line_update",
    "order_comment_send",
    "order_confirmation_send",
    "order_email",
    "payment_set_card",
    "payment_set_store_credit",
    "payment_set_stored",
    "promotion_code_enter",
    "promotion_code_remove",
    "reorder",
    "resume_interrupted_submits",
    "ship_to_add",
    "ship_to_select",
    "shipping_method_set",
    "store_credit_applied",
    "submit_order",
    "submit_problems",
]
