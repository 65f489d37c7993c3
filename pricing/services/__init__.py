"""Pricing's write paths, one module per workflow; each writes only pricing's tables.

- `repricing`: price an order orders described, keep its promotion usage in step, finalize it
  at submit and release it on cancel (orders writes the priced result onto its own rows);
- `codes`: promotion codes and coupons on an order;
- `adjustments`: CSR price adjustments, role limits and approvals;
- `rules`: price lists and the rules version;
- `appeasement`: coupons CSRs give callers within their limit, and coupons for a member group.

Every function takes keyword arguments and the acting staff user, runs in one transaction,
checks permissions with `core.permissions.require` and writes a PricingEvent for every change a
person makes.
"""

from pricing.services.adjustments import (
    OrderAmounts,
    add_adjustment,
    adjustment_limit_for,
    approve_adjustment,
    reject_adjustment,
    remove_adjustment,
)
from pricing.services.appeasement import (
    appeasement_limit_problem,
    issue_appeasement_coupon,
    issue_coupons_to_segment,
)
from pricing.services.codes import (
    enter_promotion_code,
    issue_coupon,
    redeem_coupon,
    remove_coupon,
    remove_promotion_code,
)
from pricing.services.events import ApprovalNeeded, PricingChanged
from pricing.services.repricing import (
    finalize_order_pricing,
    price_order,
    release_order_pricing,
    reprice_order,
)
from pricing.services.rules import price_list_create, price_list_update, rules_changed

__all__ = [
    "ApprovalNeeded",
    "OrderAmounts",
    "PricingChanged",
    "add_adjustment",
    "adjustment_limit_for",
    "appeasement_limit_problem",
    "approve_adjustment",
    "enter_promotion_code",
    "finalize_order_pricing",
    "issue_appeasement_coupon",
    "issue_coupon",
    "issue_coupons_to_segment",
    "price_list_create",
    "price_list_update",
    "price_order",
    "redeem_coupon",
    "reject_adjustment",
    "release_order_pricing",
    "remove_adjustment",
    "remove_coupon",
    "remove_promotion_code",
    "reprice_order",
    "rules_changed",
]
