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
    # fulfillment: 500-599
    # returns: 600-699
    # auctions: 700-799

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()
