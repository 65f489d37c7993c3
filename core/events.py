"""Audit event codes: one enum, stable numbers, a block of a hundred per app.

Never renumber or reuse a code: audit rows in the database keep the number.
"""

from enum import IntEnum, unique


@unique
class EventType(IntEnum):
    # customers: 100-199
    CUSTOMER_CREATED = 100
    # catalog: 200-299
    # pricing: 300-399
    # orders: 400-499
    ORDER_CREATED = 400
    ORDER_STATUS_CHANGED = 401
    ORDER_LINE_ADDED = 402
    ORDER_LINE_CHANGED = 403
    ORDER_LINE_REMOVED = 404
    ORDER_SHIP_TO_SET = 405
    ORDER_SHIPPING_METHOD_SET = 406
    ORDER_BILLING_ADDRESS_SET = 407
    ORDER_PAYMENT_SET = 408
    ORDER_COMMENT_ADDED = 409
    ORDER_PROMOTION_CODE_ENTERED = 410
    ORDER_PROMOTION_CODE_REMOVED = 411
    ORDER_COUPON_REDEEMED = 412
    ORDER_ADJUSTMENT_ADDED = 413
    ORDER_ATP_CHOICE_SET = 414
    ORDER_SUBMIT_STARTED = 415
    ORDER_PRICES_CHANGED_AT_SUBMIT = 416
    ORDER_PAYMENT_AUTHORIZED = 417
    ORDER_PAYMENT_DECLINED = 418
    ORDER_PAYMENT_REVIEW = 419
    ORDER_PAYMENT_ERROR = 420
    ORDER_PLACED = 421
    ORDER_SUBMIT_FAILED = 422
    ORDER_CANCELED = 423
    ORDER_CONFIRMATION_EMAILED = 424
    ORDER_REORDERED = 425
    ORDER_CUSTOMER_SET = 426
    ORDER_PAYMENT_VOIDED = 427
    # fulfillment: 500-599
    # returns: 600-699
    # auctions: 700-799

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()
