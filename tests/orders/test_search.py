"""Order search as a call center uses it: a phone in any formatting, on a registered customer
or a guest; a ZIP typed compact; street, city, SKU; date ranges."""

import datetime as dt
import importlib

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from orders import selectors, services
from orders.models import Order, OrderLine
from tests.orders.conftest import ADDRESS


@pytest.fixture
def caller(db, csr, customer):
    """A registered customer's cart (phone +1 213 555 2553) and a guest's (typed formatted)."""
    customer.phone = "+12135552553"
    customer.save(update_fields=["phone"])
    registered = services.cart_create(actor=csr, customer=customer)
    guest = services.cart_create(
        actor=csr,
        guest={
            "first_name": "Gus",
            "last_name": "Walker",
            "email": "gus@example.com",
            "phone": "(416) 555-0199",
        },
    )
    services.ship_to_add(
        actor=csr, order=guest, address={**ADDRESS, "postal_code": "M5K 9B2", "city": "Toronto"}
    )
    return registered, guest


def _found(**fields) -> set[int]:
    return set(selectors.order_search(**fields).values_list("pk", flat=True))


def test_a_guest_phone_is_stored_as_e164(caller):
    _registered, guest = caller
    assert guest.guest_phone == "+14165550199"


def test_a_guest_phone_that_is_no_phone_number_is_refused(csr):
    with pytest.raises(DomainError) as refused:
        services.cart_create(
            actor=csr, guest={"last_name": "X", "email": "x@example.com", "phone": "12"}
        )
    assert refused.value.field == "phone"


def test_cart_set_guest_normalizes_the_phone(guest_cart, csr):
    order = services.cart_set_guest(
        actor=csr,
        order=guest_cart,
        first_name="Gail",
        last_name="Guest",
        email="gail@example.com",
        phone="613.555.0100",
    )
    assert order.guest_phone == "+16135550100"


@pytest.mark.parametrize(
    "typed", ["2135552553", "213-555-2553", "(213) 555-2553", "555-2553", "+1 213 555 2553"]
)
def test_any_phone_formatting_finds_the_customer_order(caller, typed):
    registered, _guest = caller
    assert _found(query=typed) == {registered.pk}
    assert _found(phone=typed) == {registered.pk}


@pytest.mark.parametrize("typed", ["416-555-0199", "(416) 555-0199", "555 0199", "4165550199"])
def test_any_phone_formatting_finds_the_guest_order(caller, typed):
    _registered, guest = caller
    assert _found(query=typed) == {guest.pk}
    assert _found(phone=typed) == {guest.pk}


@pytest.mark.parametrize("typed", ["m5k9b2", "M5K 9B2", "m5k-9b2"])
def test_a_zip_is_found_compact_or_spaced(caller, typed):
    _registered, guest = caller
    assert guest.pk in _found(query=typed)
    assert _found(postal_code=typed) == {guest.pk}


def test_street_city_and_sku(caller, csr, sku):
    registered, guest = caller
    services.line_add(actor=csr, order=registered, sku_code=sku.code, quantity=1)
    assert guest.pk in _found(street="king st")
    assert registered.pk in _found(city="toron")
    assert _found(city="Ottawa") == set()
    assert _found(sku=sku.code.lower()) == {registered.pk}


def _orders_at(*lines: str) -> list[int]:
    from tests.orders.factories import OrderAddressFactory

    return [OrderAddressFactory(line1=line).order_id for line in lines]


def test_a_street_typed_from_its_house_number_matches_the_whole_number(db):
    """'70 Bloor' is 70 Bloor St W, also after a unit, not 170 Bloor St W."""
    plain, unit, dashed, longer, three_digits = _orders_at(
        "70 Bloor St W", "Unit 2, 70 Bloor St W", "2-70 Bloor St W", "170 Bloor St W", "705 Oak"
    )
    assert _found(street="70 Bloor") == {plain, unit, dashed}
    assert _found(street=" 70 bloor st w ") == {plain, unit, dashed}
    assert _found(street="70") == {plain, unit, dashed}  # not 170, nor 705
    assert _found(street="170 Bloor") == {longer}
    assert _found(street="2-70 Bloor") == {dashed}
    assert _found(street="2, 70 Bloor") == {unit}
    assert _found(street="7") == set()
    assert _found(street="70 Bloor St W (rear)") == set()  # typed brackets are no pattern
    assert _found(street="Bloor St W") == {plain, unit, dashed, longer}  # no number: any part
    assert _found(street="05 Oak") == set()
    assert _found(street="705 Oak") == {three_digits}
    (accented,) = _orders_at("Unit 4, 12 Côte-des-Neiges")
    assert _found(street="12 côte-des") == {accented}  # not ASCII: the line's own text asked


@pytest.mark.postgres
def test_a_street_from_its_house_number_is_counted_and_paged_in_one_query(db, monkeypatch):
    """'70 Bloor St W' on PostgreSQL (the indexes of migration 0016): the lines starting with
    it and those with it after a unit are one query with their orders (counted, the page's most
    recently changed read), then the page's orders: no order ids read and sent back per kind
    of line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain, unit, dashed, _longer = _orders_at(
        "70 Bloor St W", "Unit 2, 70 Bloor St W", "2-70 Bloor St W", "170 Bloor St W"
    )
    _age([Order.objects.get(pk=pk) for pk in (unit, plain, dashed)])
    with CaptureQueriesContext(connection) as run:
        found = list(selectors.order_search(street="70 Bloor", limit=2)[:2])
    assert [order.pk for order in found] == [unit, plain]
    assert len(run.captured_queries) == 2  # the counted page, then the page's orders
    assert "UNION ALL" in run.captured_queries[0]["sql"]
    monkeypatch.setattr(selectors, "WALK_FOR_INDEXED", 2)  # more lines: the page is walked
    assert list(selectors.order_search(street="70 Bloor", limit=2)[:2]) == found


@pytest.mark.postgres
def test_a_house_number_alone_asks_the_prefix_index_for_its_lines_only(db, monkeypatch):
    """'70' typed alone: the lines starting with 70 as a whole number are two ranges of the
    prefix index, what follows it sorting before the digits or after them ('70A'), not the
    prefix '70%' of every line from 70 to 7099 tested one by one; the lines with it after a
    unit come from the index of their numbers."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain, dashed, lettered, unit, _ = _orders_at(
        "70 Bloor St W", "70-72 Bloor St W", "70A Oak Ave", "Unit 4, 70 Elm St", "7010 Oak Ave"
    )
    *_others, seven = _orders_at("700 Bloor St W", "170 Bloor St W", "71 Bloor", "7 Bloor St W")
    with CaptureQueriesContext(connection) as run:
        assert _found(street="70") == {plain, dashed, lettered, unit}
        assert list(selectors.order_search(street="70", limit=50)[:50])
    asked = " ".join(query["sql"] for query in run.captured_queries)
    assert "~>=~ '70'" in asked and "~<~ '700'" in asked and "~>=~ '70:'" in asked
    assert "LIKE UPPER('70%')" not in asked
    assert "REGEXP_SPLIT_TO_ARRAY" in asked  # after a unit's number: lines holding 70 (0018)
    assert _found(street="79") == set()
    assert _found(street="7") == {seven}
    page = list(selectors.order_search(street="70", limit=2)[:2])
    monkeypatch.setattr(selectors, "WALK_FOR_INDEXED", 1)  # more lines: the page is walked
    with CaptureQueriesContext(connection) as walked:
        assert list(selectors.order_search(street="70", limit=2)[:2]) == page
    assert len(walked.captured_queries) == 2  # the lines read once and walked, then the page


@pytest.mark.postgres
@pytest.mark.parametrize("walk_past", [0, 1, 2, 3, 1000])
@pytest.mark.parametrize("typed", ["70", "70 Bloor", "70 bloor st w", "12 côte-des"])
def test_a_page_of_a_house_number_is_the_most_recent_of_its_orders_sorted_or_walked(
    db, monkeypatch, walk_past, typed
):
    """The page of a street typed from its house number is one statement (its lines read once,
    their orders counted, then sorted or walked): the same orders as the whole search's most
    recently changed, in that order, however few orders are walked past; an order with the
    line twice (billed and shipped there) is one order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.orders.factories import OrderAddressFactory

    ids = _orders_at(
        "70 Bloor St W",
        "Unit 2, 70 Bloor St W",
        "2-70 Bloor St W",
        "170 Bloor St W",
        "70 Bloor St W",
        "Unit 4, 12 Côte-des-Neiges",
        "12 Côte-des-Neiges",
    )
    twice = Order.objects.get(pk=ids[0])
    OrderAddressFactory(order=twice, line1="70 Bloor St W", kind="billing")
    _age([Order.objects.get(pk=pk) for pk in (ids[4], ids[1], ids[6], ids[0], ids[5], ids[2])])
    monkeypatch.setattr(selectors, "WALK_FOR_INDEXED", walk_past)
    everything = list(selectors.order_search(street=typed))
    assert everything
    for page in (1, 2, 50):
        with CaptureQueriesContext(connection) as run:
            found = list(selectors.order_search(street=typed, limit=page)[:page])
        assert found == everything[:page]
        assert len(run.captured_queries) == 2  # the lines and their page, then its orders


@pytest.mark.postgres
def test_a_house_number_alone_after_a_unit_is_a_range_of_the_lines_from_their_first_number(db):
    """A unit's number typed alone ('36'): the lines whose first number after a character that
    is no letter or digit is 36 are two ranges of the prefix index of the line from that number
    (migration 0018), not tested again for the word start; the lines holding 36 further inside
    come from the index of the numbers after the first, and are tested. The orders found are
    those of the word-start pattern, for every number of the lines."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.models import OrderAddress

    lines = [
        "Unit 36, 16 Park Ave",
        "Unit 2,36 Bloor",
        "Unit 123-36 x 6",
        "Unit 4, 2B36 Elm",
        "36 Oak",
        "Apt 360, 5 Elm",
        "Unit 5, 1336 Elm",
        "Suite 36B, 9 Oak",
        "#36-2 Main",
        "Unit 7, 16-36 Elm",
    ]
    at = dict(zip(lines, _orders_at(*lines), strict=True))
    with CaptureQueriesContext(connection) as run:
        found = _found(street="36")
    assert found == {
        at[line]
        for line in (
            "Unit 36, 16 Park Ave",
            "Unit 2,36 Bloor",
            "Unit 123-36 x 6",
            "36 Oak",
            "Suite 36B, 9 Oak",
            "#36-2 Main",
            "Unit 7, 16-36 Elm",
        )
    }
    (asked,) = (query["sql"] for query in run.captured_queries if "UNION ALL" in query["sql"])
    assert "FROM '[^0-9A-Za-z]([0-9].*)$')) ~>=~ '36'" in asked
    assert "FROM '[^0-9A-Za-z]([0-9].*)$')) ~>=~ '36:'" in asked
    assert asked.count("~*") == 1  # the word start tested on the later numbers' lines only
    for number in ("2", "4", "5", "6", "9", "16", "123", "360", "1336", "3", "23"):
        word_start = selectors._whole_number_pattern(number)
        expected = OrderAddress.objects.filter(line1__iregex=word_start)
        assert _found(street=number) == set(expected.values_list("order_id", flat=True))


@pytest.mark.postgres
def test_a_house_number_alone_after_a_unit_s_number_is_read_from_indexes_alone(db):
    """A number typed alone after a unit's number: as the second number inside, starting a word
    ('Unit 4, 36 Elm St'), a range of the prefix index of the line from that number (migration
    0020); as the third or later ('Unit 3, 5, 36 Pine St'), from the GIN index of the numbers
    of lines with two or more after the first, tested for the word start. With a page size or
    without, the orders are those of the word-start pattern."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.models import OrderAddress

    lines = [
        "Unit 4, 36 Elm St",
        "Unit 4B, 36 Elm",
        "Unit 4, B36 Elm",
        "Unit 4, 36a Elm",
        "Unit 4, 360 Elm",
        "Unit 3, 5, 36 Pine St",
        "Unit 2, 9, 12, 36 Oak",
        "Unit 2, 9B36, 7 Oak",
        "Unit 36, 5 Elm",
        "Apt 9-4, 36 Elm",
        "36 Oak",
    ]
    at = dict(zip(lines, _orders_at(*lines), strict=True))
    with CaptureQueriesContext(connection) as run:
        found = _found(street="36")
    assert found == {
        at[line]
        for line in lines
        if line not in {"Unit 4, B36 Elm", "Unit 4, 360 Elm", "Unit 2, 9B36, 7 Oak"}
    }
    (asked,) = (query["sql"] for query in run.captured_queries if "UNION ALL" in query["sql"])
    assert "FROM '^[^0-9]*[^0-9A-Za-z]([0-9]+)') = '36'" in asked
    assert "[0-9]+([^0-9]+[0-9]+[^0-9]+[0-9].*)$'), '[^0-9]+') @> ARRAY" in asked
    for number in ("36", "4", "5", "9", "12", "7", "2", "3", "360", "1"):
        word_start = selectors._whole_number_pattern(number)
        expected = set(
            OrderAddress.objects.filter(line1__iregex=word_start).values_list("order_id", flat=True)
        )
        assert _found(street=number) == expected
        with CaptureQueriesContext(connection) as paged:
            page = list(selectors.order_search(street=number, limit=50)[:50])
        assert {order.pk for order in page} == expected
        # With a page size, a unit's number is the number itself, from 0020's index of it.
        assert (
            f"::text FROM '[^0-9A-Za-z]([0-9]+)') = '{number}'" in paged.captured_queries[0]["sql"]
        )


@pytest.mark.postgres
def test_a_house_number_and_street_after_a_unit_asks_what_follows_the_first_number(db):
    """'36 Pine St' after a unit: the lines whose first number inside starts the text come from
    the prefix index of the line from that number, those holding it after that first number
    from the trigrams of what follows it (migration 0018), not of the whole line, where 'Unit
    36, 9 Pine St' has the trigrams of ' 36 PINE' too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lines = [
        "Unit 4, 36 Pine St",
        "#36 Pine St",
        "2-36 pine st",
        "Unit 36, 9 Pine St",
        "Unit 4, 136 Pine St",
        "Unit 4, A36 Pine St",
        "Unit 3, 5, 36 Pine St",
    ]
    at = dict(zip(lines, _orders_at(*lines), strict=True))
    with CaptureQueriesContext(connection) as run:
        found = _found(street="36 pine st")
    wanted = ("Unit 4, 36 Pine St", "#36 Pine St", "2-36 pine st", "Unit 3, 5, 36 Pine St")
    assert found == {at[line] for line in wanted}
    asked = " ".join(query["sql"] for query in run.captured_queries)
    assert "FROM '[^0-9A-Za-z]([0-9].*)$'))::text LIKE '36 PINE ST%'" in asked
    after_first = "FROM '[^0-9A-Za-z][0-9]+(.*)$')), '[^0-9A-Z]+', ' ', 'g')"
    assert after_first + "::text LIKE '% 36 PINE%'" in asked
    assert _found(street="2-36 Pine") == {at["2-36 pine st"]}
    assert _found(street="5, 36 Pine") == {at["Unit 3, 5, 36 Pine St"]}
    assert _found(street="9 Pine St") == {at["Unit 36, 9 Pine St"]}


@pytest.mark.postgres
def test_a_number_and_street_ending_with_a_digit_is_tested_whole_at_the_line_start(db):
    """A number and a street starts a word whole where a line starts with it, or its first
    number inside does, unless it ends with a digit ('70 Bloor 1' starts '70 Bloor 12'): only
    then are those lines tested for the word start, with a page size or without."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lines = [
        "70 Bloor 1",
        "70 Bloor 12",
        "2-70 Bloor 1",
        "2-70 Bloor 12",
        "Unit 4, 70 Bloor 1",
        "Unit 4, 70 Bloor 12",
        "70 Bloor St",
    ]
    at = dict(zip(lines, _orders_at(*lines), strict=True))
    expected = {at[line] for line in ("70 Bloor 1", "2-70 Bloor 1", "Unit 4, 70 Bloor 1")}
    for typed, wanted in [("70 Bloor 1", expected), ("70 bloor", set(at.values()))]:
        with CaptureQueriesContext(connection) as run:
            assert _found(street=typed) == wanted
            page = selectors.order_search(street=typed, limit=50)[:50]
            assert {order.pk for order in page} == wanted
        tests = run.captured_queries[0]["sql"].count("~*")
        assert tests == (3 if typed[-1].isdigit() else 1)  # the later numbers' lines: always


def test_a_street_with_a_house_number_after_words_matches_any_part_of_the_line(db):
    """Text not starting with the number ('Unit 5, 1100 King'). The index is asked for the
    house number (of 3 digits: and the street's first two letters); the line must still hold
    all that was typed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    king, queen, other = _orders_at(
        "Unit 5, 1100 King St W", "Unit 5, 1100 Queen St E", "Unit 7, 100 King St W"
    )
    with CaptureQueriesContext(connection) as run:
        assert _found(street="unit 5, 1100 king st") == {king}
        assert _found(street="Unit 7, 100 king") == {other}
    asked = " ".join(query["sql"] for query in run.captured_queries)
    assert "'%1100%'" in asked
    assert "'%100 ki%'" in asked  # a short number: and the street's first 2 letters
    assert _found(street="Unit 5, 1100") == {king, queen}
    assert _found(street="Unit 7, 100  King") == set()  # two spaces: the number alone asked
    assert _found(street="W 100") == set()
    assert _found(street="king st w") == {king, other}
    assert _found(street="Unit 5, 1100 Bay St") == set()


def test_names_and_emails_of_guests_and_customers(caller):
    registered, guest = caller
    assert _found(last_name="wal") == {guest.pk}
    assert _found(last_name="roe") == {registered.pk}
    assert _found(email="JANE@example.com") == {registered.pk}
    assert _found(query="gus@example.com") == {guest.pk}
    assert _found(query="Roe") == {registered.pk}


def test_order_number_by_its_digits(ready_cart, csr):
    ready_cart.number = "NW-000123"
    ready_cart.save(update_fields=["number"])
    assert _found(query="123") == {ready_cart.pk}
    assert _found(number="nw-000123") == {ready_cart.pk}


def test_date_ranges_are_whole_local_days(caller):
    registered, guest = caller
    today = timezone.localdate()
    Order.objects.filter(pk=guest.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3),
        modified_at=timezone.now() - dt.timedelta(days=3),
    )
    assert _found(created_from=today, created_to=today) == {registered.pk}
    assert _found(modified_to=today - dt.timedelta(days=1)) == {guest.pk}


def test_limit_keeps_the_most_recent(caller):
    registered, guest = caller
    assert _found(phone="555") == {registered.pk, guest.pk}
    assert list(selectors.order_search(phone="555", limit=1)[:1]) == [guest]


def test_find_screen_searches_street_city_and_sku(csr_client, caller):
    _registered, guest = caller
    page = csr_client.get(reverse("orders:find"), {"phone": "(416) 555-0199"}).content.decode()
    assert str(guest) in page
    page = csr_client.get(reverse("orders:find"), {"street": "King"}).content.decode()
    assert str(guest) in page and 'name="sku"' in page


def test_api_filters_by_phone_and_zip(caller, csr):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(csr)
    _registered, guest = caller
    found = api.get("/api/v1/orders/", {"phone": "416.555.0199"}).json()["results"]
    assert [o["id"] for o in found] == [guest.pk]
    found = api.get("/api/v1/orders/", {"postal_code": "m5k9b2"}).json()["results"]
    assert [o["id"] for o in found] == [guest.pk]


def test_the_data_migration_normalizes_typed_guest_phones(db):
    from django.apps import apps

    from tests.orders.factories import OrderFactory

    typed = OrderFactory(guest_phone="(213) 555-2553")
    odd = OrderFactory(guest_phone="ext. 4")
    migration = importlib.import_module("orders.migrations.0005_order_search")
    migration.normalize_guest_phones(apps, None)
    typed.refresh_from_db()
    odd.refresh_from_db()
    assert (typed.guest_phone, odd.guest_phone) == ("+12135552553", "ext. 4")


def test_a_broad_field_with_another_still_finds_older_orders(caller, monkeypatch):
    """Each field may match more than a page; together they must still find every match."""
    registered, guest = caller
    monkeypatch.setattr(selectors, "FEW_MATCHES", 0)  # every branch counts as broad
    Order.objects.filter(pk=guest.pk).update(modified_at=timezone.now() - dt.timedelta(days=9))
    services.cart_create(
        actor=registered.created_by, guest={"last_name": "Newer", "email": "n@example.com"}
    )
    found = selectors.order_search(last_name="Walker", created_from=timezone.localdate(), limit=1)
    assert list(found) == [guest]


def _age(orders, *, days_apart=1):
    """Make `orders` changed one after another, the first most recently."""
    now = timezone.now()
    for age, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(modified_at=now - dt.timedelta(days=age))


def test_of_more_matches_than_the_page_the_most_recently_changed_are_shown(db):
    from tests.orders.factories import OrderAddressFactory, OrderFactory

    guests = [OrderFactory(guest_first_name="Hiroshi") for _ in range(6)]
    for order in guests:
        OrderAddressFactory(order=order, city="Montreal")
    _age(guests[::-1])  # the last one made is the most recent
    newest = guests[::-1][:3]
    assert list(selectors.order_search(first_name="hiro", limit=3)[:3]) == newest
    assert list(selectors.order_search(city="montr", limit=3)[:3]) == newest


def test_many_listed_orders_of_a_city_are_found_by_walking_the_recent_index(db, monkeypatch):
    from tests.orders.factories import OrderAddressFactory, OrderFactory

    monkeypatch.setattr(selectors, "WALK_FOR_IDS", 2)  # more ids than that: walk, not look up
    orders = [OrderFactory() for _ in range(5)]
    for order in orders:
        OrderAddressFactory(order=order, city="Montreal")
    _age(orders[::-1])
    walks, walk = [], selectors._recent
    monkeypatch.setattr(selectors, "_recent", lambda *args: walks.append(args) or walk(*args))
    assert list(selectors.order_search(city="montr", limit=3)[:3]) == orders[::-1][:3]
    assert len(walks) == 1


@pytest.mark.parametrize("many", [20000, 0])  # the customers as a list, or a subquery
def test_many_matching_customers_still_find_their_orders(caller, monkeypatch, many):
    registered, guest = caller
    monkeypatch.setattr(selectors, "FEW_CUSTOMERS", 0)
    monkeypatch.setattr(selectors, "MANY_CUSTOMERS", many)
    assert _found(phone="213 555 2553") == {registered.pk}
    found = selectors.order_search(phone="555", limit=50)[:50]
    assert list(found) == [guest, registered]


def _hiroshis(count: int) -> None:
    """`count` guest orders and `count` registered customers' orders of a Hiroshi in Montreal."""
    from customers.models import Customer
    from tests.orders.factories import OrderAddressFactory, OrderFactory

    start = Customer.objects.count()
    for n in range(start, start + count):
        guest = OrderFactory(guest_first_name="Hiroshi", guest_last_name="Hiroshi")
        OrderAddressFactory(order=guest, city="Montreal")
        customer = Customer.objects.create(
            logon_id=f"h{n}", first_name="Hiroshi", last_name="Hiroshi", email=f"h{n}@example.com"
        )
        OrderAddressFactory(order=OrderFactory(customer=customer), city="Montreal")


@pytest.mark.parametrize(
    "params",
    [{"first_name": "Hiroshi"}, {"city": "Montreal"}, {"q": "Hiroshi"}, {"status": "pending"}],
)
def test_the_find_page_costs_the_same_queries_for_a_full_page(
    csr_client, db, params, django_assert_max_num_queries
):
    """Session, user, a few queries per search branch and the page: none per order shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _hiroshis(2)
    with CaptureQueriesContext(connection) as few:
        csr_client.get(reverse("orders:find"), params)
    _hiroshis(30)
    with django_assert_max_num_queries(min(len(few), 16)):
        page = csr_client.get(reverse("orders:find"), params)
    assert page.content.decode().count("Hiroshi") >= 50


def test_a_past_day_is_sorted_in_one_query_however_many_orders_it_has(
    db, monkeypatch, django_assert_num_queries
):
    """Orders created on a day a month ago are changed mostly soon after; walking back from the
    newest change would pass every order since. Their page is read by sorting them, uncounted."""
    from tests.orders.factories import OrderFactory

    monkeypatch.setattr(selectors, "FEW_MATCHES", 0)  # counted, the day would be broad
    day = timezone.localdate() - dt.timedelta(days=30)
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    made = [OrderFactory() for _ in range(4)]
    OrderFactory()  # created today
    for age, order in enumerate(made):
        changed = noon + dt.timedelta(days=10 - age)
        Order.objects.filter(pk=order.pk).update(created_at=noon, modified_at=changed)
    with django_assert_num_queries(2):  # the day's page of ids, then those orders
        found = list(selectors.order_search(created_from=day, created_to=day, limit=3)[:3])
    assert found == made[:3]
    assert _found(created_from=day - dt.timedelta(days=1), created_to=day) == {o.pk for o in made}


def test_several_broad_fields_walk_the_index_for_ids_then_read_the_page(caller, monkeypatch):
    """Each field matching many orders, the walk tests them in the (modified_at, id) index:
    it asks for ids only, and the page's orders are read by id, in the same order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registered, guest = caller
    monkeypatch.setattr(selectors, "FEW_MATCHES", 0)  # every branch counts as broad
    monkeypatch.setattr(selectors, "SORTED_NAME_MATCHES", 0)
    _age([guest, registered])
    fields = {"city": "toronto", "created_from": timezone.localdate()}
    with CaptureQueriesContext(connection) as run:
        page = list(selectors.order_search(limit=1, **fields))
    assert page == [guest] == list(selectors.order_search(**fields)[:1])
    walk = next(
        q["sql"] for q in run.captured_queries if 'ORDER BY "orders_order"."modified' in q["sql"]
    )
    assert walk.startswith('SELECT "orders_order"."id" AS "pk" FROM')


def test_a_listed_field_with_another_is_paged_in_slices_of_its_newest(db, monkeypatch):
    """A name's few orders with a creation range: the name's orders are tested against the
    range a slice at a time, most recently changed first, until the page is full; the page
    is the one the whole list gives, in the same order."""
    from tests.orders.factories import OrderFactory

    monkeypatch.setattr(selectors, "FIRST_SLICE", 1)  # slices of 1, then 4, then 16
    named = [OrderFactory(guest_last_name="Okafor") for _ in range(9)]
    OrderFactory(guest_last_name="Other")
    _age(named)  # named[0] most recently changed
    old = timezone.now() - dt.timedelta(days=30)
    for order in (named[0], named[2], named[3], named[7]):  # created long ago
        Order.objects.filter(pk=order.pk).update(created_at=old)
    since = timezone.localdate() - dt.timedelta(days=2)
    expected = [named[1], named[4], named[5]]
    paged = []
    monkeypatch.setattr(
        selectors,
        "_page_of_few",
        lambda *args, p=selectors._page_of_few: paged.append(1) or p(*args),
    )
    found = selectors.order_search(last_name="okafor", created_from=since, limit=3)
    assert list(found[:3]) == expected
    assert paged == [1]
    everything = selectors.order_search(last_name="okafor", created_from=since)
    assert list(everything) == [named[1], named[4], named[5], named[6], named[8]]
    assert list(selectors.order_search(last_name="okafor", created_from=since, limit=9)) == list(
        everything
    )


@pytest.mark.parametrize("field", ["sku", "postal_code"])
def test_many_orders_of_a_sku_or_zip_are_found_by_walking_against_their_query(
    db, monkeypatch, field
):
    """More orders of a SKU or a ZIP than WALK_FOR_INDEXED: the walk tests each order against
    the lines' or addresses' own query (not their ids sent back) and finds the same page."""
    from tests.catalog.factories import SKUFactory
    from tests.orders.factories import OrderAddressFactory, OrderFactory, OrderLineFactory

    monkeypatch.setattr(selectors, "WALK_FOR_INDEXED", 2)
    sku = SKUFactory()
    orders = [OrderFactory() for _ in range(5)]
    for order in orders:
        OrderLineFactory(order=order, sku=sku)
        OrderAddressFactory(order=order, postal_code="02190")
    other = OrderFactory()  # another SKU's, another ZIP's
    OrderLineFactory(order=other)
    OrderAddressFactory(order=other, postal_code="02191")
    _age(orders[::-1])
    walks, walk = [], selectors._recent
    monkeypatch.setattr(selectors, "_recent", lambda *args: walks.append(args) or walk(*args))
    value = {"sku": sku.code, "postal_code": "02-190"}[field]
    assert list(selectors.order_search(**{field: value}, limit=3)[:3]) == orders[::-1][:3]
    assert len(walks) == 1
    table = {"sku": "orders_orderline", "postal_code": "orders_orderaddress"}[field]
    assert table in str(walks[0][0].query)  # their query, not their ids


def test_of_a_sku_past_the_walk_no_more_ids_are_read_than_decide_it(db, monkeypatch):
    """A SKU's order ids are read up to WALK_FOR_INDEXED + 1: past that its page is walked
    whatever their number, also past FEW_MATCHES (against the lines' query, hashed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.catalog.factories import SKUFactory
    from tests.orders.factories import OrderFactory, OrderLineFactory

    monkeypatch.setattr(selectors, "WALK_FOR_INDEXED", 2)
    monkeypatch.setattr(selectors, "FEW_MATCHES", 3)
    sku = SKUFactory()
    orders = [OrderFactory() for _ in range(5)]
    for order in orders:
        OrderLineFactory(order=order, sku=sku)
    _age(orders[::-1])
    with CaptureQueriesContext(connection) as run:
        assert list(selectors.order_search(sku=sku.code, limit=3)[:3]) == orders[::-1][:3]
    lines = [q["sql"] for q in run.captured_queries if 'FROM "orders_orderline"' in q["sql"]]
    assert "LIMIT 3)" in lines[0]  # counted up to WALK_FOR_INDEXED + 1
    walk = next(q["sql"] for q in run.captured_queries if "IS NULL" in q["sql"])
    assert "orders_orderline" in walk  # the lines' query, not their ids


@pytest.mark.parametrize("stored", [True, False])
def test_a_branch_of_lines_is_counted_and_its_ids_read_only_when_few(db, stored):
    """A SKU's order ids come back with their count when they are at most the bound; past
    it only the count (counted one past the bound) is sent, not the ids."""
    from tests.catalog.factories import SKUFactory
    from tests.orders.factories import OrderFactory, OrderLineFactory

    sku = SKUFactory()
    orders = [OrderFactory() for _ in range(4)]
    for order in orders:
        OrderLineFactory(order=order, sku=sku)
    lines = OrderLine.objects.filter(sku=sku).values_list("order_id", flat=True)

    matched, rows = selectors._counted_rows(lines, 4, stored=stored)
    assert matched == 4
    assert sorted(order_id for (order_id,) in rows) == sorted(o.pk for o in orders)
    assert selectors._counted_rows(lines, 3, stored=stored) == (4, [])
    assert selectors._counted_rows(lines, 2, stored=stored) == (3, [])
    assert selectors._counted_rows(lines.none(), 2, stored=stored) == (0, [])


def test_a_branch_is_counted_and_its_page_read_in_one_query(db, monkeypatch):
    """A guest e-mail's orders: counted and their page read at once; past FEW_MATCHES the
    page is walked instead, and both give the most recently changed first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.orders.factories import OrderFactory

    same = [OrderFactory(guest_email="pat@example.com") for _ in range(4)]
    OrderFactory(guest_email="other@example.com")
    _age(same[::-1])
    newest = same[::-1][:3]
    with CaptureQueriesContext(connection) as run:
        assert list(selectors.order_search(email="PAT@example.com", limit=3)[:3]) == newest
    on_orders = [q for q in run.captured_queries if 'FROM "orders_order"' in q["sql"]]
    assert len(on_orders) == 2  # the branch (counted with its page), then the page's orders
    monkeypatch.setattr(selectors, "FEW_MATCHES", 3)
    assert list(selectors.order_search(email="pat@example.com", limit=3)[:3]) == newest
    assert selectors._counted_newest(Order.objects.none(), 3, 3) == (0, {})


def test_the_quick_box_asks_each_table_once_for_its_exact_lookups(caller, ready_cart, csr):
    """An order number, id and guest e-mail in one query on orders; the customers' logon ID,
    e-mail and last name in one on customers; each still finds its orders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registered, guest = caller
    ready_cart.number = "NW-000123"
    ready_cart.save(update_fields=["number"])
    with CaptureQueriesContext(connection) as run:
        assert _found(query="Roe") == {registered.pk}
    on_customers = [q for q in run.captured_queries if 'FROM "customers_customer"' in q["sql"]]
    assert len(on_customers) == 1
    assert _found(query="jane.roe") == _found(query="JANE@example.com") == {registered.pk}
    assert _found(query="gus@example.com") == {guest.pk}
    assert _found(query="123") == {ready_cart.pk}
    assert _found(query=str(guest.pk)) >= {guest.pk}


@pytest.mark.parametrize("many", [20000, 0])  # the customers as a list, or a subquery
def test_the_quick_box_finds_the_orders_of_many_customers(caller, monkeypatch, many):
    registered, _guest = caller
    monkeypatch.setattr(selectors, "FEW_CUSTOMERS", 0)
    monkeypatch.setattr(selectors, "MANY_CUSTOMERS", many)
    assert _found(query="roe") == _found(query="jane.roe") == {registered.pk}
    assert list(selectors.order_search(query="Roe", limit=1)[:1]) == [registered]


def test_a_name_of_many_customers_walks_against_their_query_not_their_ids(caller, monkeypatch):
    """Past FEW_CUSTOMERS the customers' ids are not read whole and sent back: the walk tests
    each order against the customers' own query (hashed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registered, _guest = caller
    monkeypatch.setattr(selectors, "FEW_CUSTOMERS", 0)
    with CaptureQueriesContext(connection) as run:
        assert list(selectors.order_search(last_name="roe", limit=5)[:5]) == [registered]
    walk = next(q["sql"] for q in run.captured_queries if "IS NULL" in q["sql"])
    assert '"customer_id" IN (SELECT' in walk


def test_a_name_of_many_customers_with_another_field_tests_their_ids(caller, monkeypatch):
    """Without a page size (a name with creation days) the customers' walk is a subquery of
    the other field's query: their ids as a list, never the hashed OR (PostgreSQL then tested
    every order against it: minutes at 5,000,000 orders)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registered, _guest = caller
    monkeypatch.setattr(selectors, "FEW_CUSTOMERS", 0)
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as run:
        found = selectors.order_search(last_name="roe", created_from=today, limit=5)
        assert list(found[:5]) == [registered]
    assert not any("IS NULL" in q["sql"] for q in run.captured_queries)
