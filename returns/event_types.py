"""Audit codes of returns: core's block 600-699 (core/events.py reserves it).

Never renumber or reuse a code: audit rows in the database keep the number.
"""

from enum import IntEnum, unique


@unique
class ReturnEventType(IntEnum):
    RETURN_CREATED = 600
    RETURN_LINE_ADDED = 601
    RETURN_LINE_REMOVED = 602
    RETURN_REFUND_ADJUSTED = 603
    RETURN_REFUND_METHOD_SET = 604
    RETURN_STATUS_CHANGED = 605
    RETURN_APPROVAL_CHECKED = 606
    RETURN_APPROVED = 607
    RETURN_DENIED = 608
    RETURN_RMA_EMAILED = 609
    RETURN_RECEIVED = 610
    RETURN_RESTOCKED = 611
    RETURN_REFUNDED = 612
    RETURN_REFUND_FAILED = 613
    RETURN_CREDIT_ISSUED = 614
    RETURN_EXPIRED = 615
    RETURN_CLAWBACK_CHANGED = 616
    RETURN_SHIPPING_REFUND_CHANGED = 617

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()
