"""The pricing engine: a pure function from an order snapshot and the active rules to a price.

`price(snapshot, rules)` touches no database and no clock: everything it needs (the time, the
customer's segments, how many uses of a promotion are left) is in its arguments, so the same
input always gives the same result. `pricing/loader.py` reads the rules and pricing's rows of an
order; orders builds the rest of the snapshot from its own rows.

The pipeline (`pipeline.price`, DESIGN.md "The pricing engine"), one module per stage:
  1. entitled unit price (`prices`): price list by contract / segment / guest / base,
     currency, quantity tier, category percentage adjustments over a base list;
  2-4. automatic product promotions, automatic order promotions, then the promotions that need
     an entered code or a selected coupon (`promotions`: conditions and benefits as strategy
     objects, as in django-oscar's offer engine);
  5. CSR adjustments, approved ones only (`adjustments`, a strategy per kind);
  6. shipping charges, shipping promotions (a strategy per reward), shipping override
     (`shipping`);
  7. tax on goods after discounts and on shipping (`tax`);  8. totals (`pipeline.totals`).

The strategies work on the in-memory cart of `cart.Line` objects; inputs (`rules`,
`snapshot`) and results (`result`) are plain frozen dataclasses.
"""

from pricing.engine.money import HUNDRED, quantize, spread_shares
from pricing.engine.pipeline import price
from pricing.engine.prices import entitled_price
from pricing.engine.result import (
    Applied,
    Discount,
    Explanation,
    Gift,
    NearMiss,
    NotApplied,
    PricedLine,
    PricedOrder,
    ShippingCharge,
    TaxAmount,
    jsonable,
)
from pricing.engine.rules import (
    KIND_RANK,
    ORDER_REWARDS,
    PRODUCT_REWARDS,
    SHIPPING_REWARDS,
    CategoryAdjustment,
    PriceListKind,
    PriceListRule,
    PriceTier,
    PromotionRule,
    Reason,
    Reward,
    Rules,
    Schedule,
    ShippingBasis,
    ShippingRateRule,
    Stage,
    TaxRateRule,
)
from pricing.engine.snapshot import (
    Adjustment,
    AdjustmentKind,
    Allowance,
    CartLine,
    ShipTo,
    Snapshot,
)
from pricing.engine.tax import SHIPPING_TAX_CODE

__all__ = [
    "HUNDRED",
    "KIND_RANK",
    "ORDER_REWARDS",
    "PRODUCT_REWARDS",
    "SHIPPING_REWARDS",
    "SHIPPING_TAX_CODE",
    "Adjustment",
    "AdjustmentKind",
    "Allowance",
    "Applied",
    "CartLine",
    "CategoryAdjustment",
    "Discount",
    "Explanation",
    "Gift",
    "NearMiss",
    "NotApplied",
    "PriceListKind",
    "PriceListRule",
    "PriceTier",
    "PricedLine",
    "PricedOrder",
    "PromotionRule",
    "Reason",
    "Reward",
    "Rules",
    "Schedule",
    "ShipTo",
    "ShippingBasis",
    "ShippingCharge",
    "ShippingRateRule",
    "Snapshot",
    "Stage",
    "TaxAmount",
    "TaxRateRule",
    "entitled_price",
    "jsonable",
    "price",
    "quantize",
    "spread_shares",
]
