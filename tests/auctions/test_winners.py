"""Winner assignment, a pure function: examples per type and hypothesis properties."""

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from auctions.winners import DUTCH, OPEN_CRY, SEALED, BidIn, assign_winners, ranked

D = Decimal
T0 = datetime(2026, 1, 1, 12, 0)


def b(id_, price, quantity=1, partial=False, minute=0):
    return BidIn(id_, D(price), quantity, partial, T0 + timedelta(minutes=minute))


def test_dutch_ten_units_thirty_bids_uniform_price_ranked_by_price_quantity_time():
    bids = [b(i, f"{10 + i % 7}.00", 1 + i % 3, partial=i % 4 == 0, minute=i) for i in range(30)]
    outcome = assign_winners(DUTCH, 10, bids)
    # 16.00 bids (i = 6, 13, 20, 27; quantities 1, 2, 3, 1): largest first, then by time:
    # 20 (3), 13 (2), 6 (1), 27 (1) = 7 units. 15.00 bids (5, 12, 19, 26; 3, 1, 2, 3): 5 and 26
    # ask 3 each, 5 is earlier and takes the last 3.
    got = {a.bid_id: a.quantity for a in outcome.awards}
    assert got == {20: 3, 13: 2, 6: 1, 27: 1, 5: 3}
    assert outcome.total_quantity == 10
    assert {a.price for a in outcome.awards} == {D("15.00")} == {outcome.clearing_price}


def test_a_partial_bidder_takes_what_is_left():
    outcome = assign_winners(DUTCH, 5, [b(1, "20", 3), b(2, "19", 4, partial=True), b(3, "18", 1)])
    assert [(a.bid_id, a.quantity, a.price) for a in outcome.awards] == [
        (1, 3, D("19")),
        (2, 2, D("19")),
    ]


def test_open_cry_and_sealed_pay_their_own_price_and_respect_the_reserve():
    bids = [b(1, "30"), b(2, "50", minute=1), b(3, "50", minute=0)]
    for kind in (OPEN_CRY, SEALED):
        outcome = assign_winners(kind, 1, bids)
        assert [(a.bid_id, a.price) for a in outcome.awards] == [(3, D("50"))]
    assert assign_winners(SEALED, 1, bids, reserve_price=D("60")).awards == ()


bid_sets = st.lists(
    st.builds(
        lambda i, cents, q, partial, minute: BidIn(
            i, D(cents) / 100, q, partial, T0 + timedelta(seconds=minute)
        ),
        st.integers(1, 10**6),
        st.integers(100, 5000),
        st.integers(1, 6),
        st.booleans(),
        st.integers(0, 600),
    ),
    max_size=30,
    unique_by=lambda x: x.id,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([OPEN_CRY, SEALED, DUTCH]),
    st.integers(1, 15),
    bid_sets,
    st.none() | st.integers(100, 5000).map(lambda c: D(c) / 100),
)
def test_properties(kind, quantity, bids, reserve):
    outcome = assign_winners(kind, quantity, bids, reserve)
    awards = {a.bid_id: a for a in outcome.awards}
    by_id = {x.id: x for x in bids}
    # the total won never exceeds the lot; nobody gets more than asked, partials only if accepted
    assert outcome.total_quantity <= quantity
    for a in outcome.awards:
        asked = by_id[a.bid_id]
        assert 0 < a.quantity <= asked.quantity
        assert a.quantity == asked.quantity or asked.accept_partial
        assert reserve is None or asked.price >= reserve
        assert a.price <= asked.price  # nobody pays more than they bid
    if kind == DUTCH and awards:
        assert {a.price for a in awards.values()} == {min(by_id[i].price for i in awards)}
    # no losing bid beats a winning one: a loser ranked ahead of a winner was all-or-nothing
    # and asked for more than was left when its turn came (or was under the reserve)
    order = ranked(kind, bids)
    left = quantity
    last_winner = max((order.index(by_id[i]) for i in awards), default=-1)
    for position, x in enumerate(order):
        if x.id in awards:
            left -= awards[x.id].quantity
        elif position < last_winner:
            assert not x.accept_partial and x.quantity > left
            assert reserve is None or x.price >= reserve
    # units unsold only when no remaining bid could take them
    if outcome.total_quantity < quantity:
        for x in bids:
            if x.id not in awards and (reserve is None or x.price >= reserve):
                assert not x.accept_partial and x.quantity > quantity - outcome.total_quantity
