"""Audit codes of auctions: core's block 700-799 (core/events.py reserves it).

Never renumber or reuse a code: audit rows in the database keep the number.
"""

from enum import IntEnum, unique


@unique
class AuctionEventType(IntEnum):
    AUCTION_CREATED = 700
    AUCTION_RULES_CHANGED = 701
    AUCTION_STATUS_CHANGED = 702
    AUCTION_QUANTITY_RESERVED = 703
    AUCTION_QUANTITY_RELEASED = 704
    AUCTION_EXTENDED = 705
    BID_PLACED = 710
    AUTOBID_PLACED = 711
    AUTOBID_RAISED = 712
    BID_OUTBID = 713
    BID_WITHDRAWN = 714
    BID_REPLACED = 715
    OUTBID_EMAILED = 716
    WINNERS_ASSIGNED = 720
    WINNING_ORDER_CREATED = 721
    WINNING_ORDER_FAILED = 722
    AUCTION_FORCE_CLOSED = 723
    BID_FLAGGED = 730
    BID_FLAG_CLEARED = 731

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()
