"""Read paths shared by the order screens and the API."""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Concat, Replace, Upper
from django.utils import timezone

from core.db import CompiledQuery, IdIn, int_array, text_array
from fulfillment.inventory.selectors import Availability
from orders import integrations as ext
from orders.models import (
    LineInventoryStatus,
    Order,
    OrderAddress,
    OrderComment,
    OrderEvent,
    OrderHold,
    OrderLine,
    OrderPayment,
    OrderStatus,
    OrderVersion,
    PaymentStatus,
    order_number,
)

PHONE_LIKE = re.compile(r"^[\d\s().+\-/]+$")
MIN_PHONE_DIGITS = 4
POSTAL_NOISE = (" ", "-")


def postal_code_key(expression="postal_code"):
    """'m5k 9b2' -> 'M5K9B2' in SQL: what a postal code is searched by. The same expression is
    indexed on PostgreSQL (migration 0005), so a compact or spaced ZIP finds it by index."""
    for noise in POSTAL_NOISE:
        expression = Replace(expression, Value(noise), Value(""))
    return Upper(expression)


def _postal_text(text: str) -> str:
    for noise in POSTAL_NOISE:
        text = text.replace(noise, "")
    return text.upper()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# A branch matching at most this many orders is fetched whole through its own index and its
# ids handed to the outer query, which then reads and sorts only those. PostgreSQL, left to
# order the outer query itself, may walk every order by `modified_at` looking for matches of
# a branch it guesses to be common (a name, a day, a ZIP): seconds on millions of orders.
FEW_MATCHES = 5000
# A guest name is counted further: its index holds what the page needs (migration 0011), so up
# to this many matches are sorted from the index in a few milliseconds, where walking the
# (modified_at, id) index for a name of one guest order in a few hundred would read thousands
# of orders (the two cost the same at about this many matches in 5,000,000 orders).
SORTED_NAME_MATCHES = 20000
# Thousands of order ids (a SKU's, a US ZIP's) are not looked up one by one for when each
# changed: each lookup reads a table page of its own, 4,500 of them 20 ms when cached and up
# to 850 ms when not (5,000,000 orders). The page is found instead by walking the
# (modified_at, id) index from its end, testing each id against the list: 60,000 entries of
# one index, whose end every search reads (14-40 ms).
WALK_FOR_IDS = 3000
# Ids of an index-only branch (`Indexed`) are not looked up past this many either: a US ZIP's
# 2,900 took 10 ms cached and 130-180 ms when their orders' table pages were not.
WALK_FOR_INDEXED = 1000
UNCHANGED = Value(dt.timedelta(0))


# The customers a name or phone matches are read first. Up to FEW_CUSTOMERS, their orders are
# counted and read by the (customer, modified_at, id) index; up to MANY_CUSTOMERS, the page is
# the walk of the (modified_at, id) index (which includes the customer), testing each order's
# customer against the list. Left as a subquery, PostgreSQL guesses too many customers and
# reads every order to join them, or looks each order's customer up in turn.
FEW_CUSTOMERS = 500
MANY_CUSTOMERS = 20000


def _changed() -> ExpressionWrapper:
    """`modified_at` as an expression, to sort a few rows without PostgreSQL walking the whole
    `modified_at` index in search of them (it cannot tell they are few)."""
    return ExpressionWrapper(F("modified_at") + UNCHANGED, output_field=DateTimeField())


class ChangedKey(Func):
    """When an order changed, as the search compares it in Python (to merge its branches)
    when it reads all of a branch's matches (no page size; a page's worth are timestamps):
    on PostgreSQL seconds since 1970 as a float (distinct and in order to the microsecond until
    2106), as loading thousands of timestamps (psycopg, then Django's time zone) was most of a
    name's search with creation days (6,700 orders); elsewhere the timestamp itself. Either
    sorts as `modified_at` does. Not EXTRACT, whose numeric costs 1 us a row before the sort
    (a first name's 7,000 guest orders: 3 -> 11 ms)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "date_part('epoch', %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra)


Changed = float | dt.datetime  # a ChangedKey value


@dataclass(frozen=True)
class Broad:
    """A branch known to match many orders without counting them (many customers)."""

    orders: QuerySet[Order]


@dataclass(frozen=True)
class Indexed:
    """The order ids of addresses or lines read from an index alone (a ZIP's, a SKU's):
    cheap enough to run again for a walk of the (modified_at, id) index."""

    order_ids: QuerySet


@dataclass(frozen=True)
class Sorted:
    """A branch whose page is read by sorting its matches when they are at most `up_to` (when
    `up_to` is None, however many: orders created in a range of days that ended a while ago,
    which walking the (modified_at, id) index back from the end would reach only after every
    order changed since, as orders change mostly soon after creation)."""

    orders: QuerySet[Order]
    up_to: int | None = None


def _branch_ids(
    branch: QuerySet | Broad | Sorted | Indexed, limit: int | None
) -> dict[int, Changed] | QuerySet:
    """The orders `branch` matches. When they are few (counted in the database, on the
    branch's own table: `branch` is either orders or the `order_id`s of addresses or lines),
    the `limit` most recently changed of them (all without a limit) with when each changed;
    otherwise a subquery of the `limit` most recently changed, which a walk of the
    (modified_at, id) index answers quickly."""
    if isinstance(branch, Broad):
        return _recent(branch.orders, limit)
    few = FEW_MATCHES
    if isinstance(branch, Sorted):
        if limit and branch.up_to is None:
            return _newest(branch.orders, limit)
        # Without a page size all the matches would be passed on as ids: only a few.
        branch, few = branch.orders, (branch.up_to if limit else None) or FEW_MATCHES
    indexed = isinstance(branch, Indexed)
    branch = branch.order_ids if indexed else branch
    if branch.model is Order and limit:
        matched, page = _counted_newest(branch, limit, few)
        return page if matched <= few else _recent(branch, limit)
    if branch.model is Order:
        matched, changed = _counted_changed(branch, few)
        return changed if matched <= few else _recent(branch, limit)
    # Addresses or lines: their order ids, counted and read in one query (read only when
    # they are few). Those read from an index alone are walked past WALK_FOR_INDEXED whatever
    # their number, so no more ids than that are read (a SKU's 4,400 were sent for nothing).
    walked = limit and indexed
    up_to = WALK_FOR_INDEXED if walked else few
    # Stored once: a street's query is too slow to run twice.
    matched, rows = _counted_rows(branch, up_to, stored=True)
    ids = [order_id for (order_id,) in rows]
    if walked and matched > up_to:
        # A SKU's lines, a ZIP's addresses: the walk tests each order against their query,
        # run again (from the index alone) and hashed once, rather than against the ids sent
        # back (a SKU's 4,400: their SQL costs more than the walk). The OR keeps it a hashed
        # test: `id IN (...)` alone, PostgreSQL joins the lines to each order of the walk,
        # one index descent each (seconds). Not for a street: its query is too slow to run
        # twice.
        listed = Q(pk__in=branch.order_by()) | Q(pk__isnull=True)
        return _recent(Order.objects.filter(listed), limit)
    if matched > few:
        return _recent(Order.objects.filter(pk__in=branch), limit)
    if limit and len(ids) > WALK_FOR_IDS:
        return _recent(Order.objects.filter(IdIn(F("pk"), ids)), limit)
    return _newest(Order.objects.filter(IdIn(F("pk"), ids)), limit)


def _counted(rows: QuerySet, up_to: int, order_by: str = "") -> tuple[str, list]:
    """SQL of the first rows of `rows` (in `order_by`; their number is the last parameter,
    `LIMIT %s`), each with how many rows there are, counted up to `up_to` + 1, as its last
    column `matched`: counting them and reading some in one scan and one round trip, where a
    count and then a read took two of each. Sorted outside the counted subquery, whose LIMIT
    keeps PostgreSQL from walking the `modified_at` index. EmptyResultSet when `rows` is
    (`customer_id IN ()`)."""
    sql, params = rows[: up_to + 1].query.sql_with_params()
    page = f"SELECT *, COUNT(*) OVER () AS matched FROM ({sql}) AS counted {order_by} LIMIT %s"
    return page, list(params)


def _counted_newest(
    orders: QuerySet[Order], limit: int, few: int
) -> tuple[int, dict[int, dt.datetime]]:
    """How many `orders` there are, counted up to `few` + 1, and the `limit` most recently
    changed of those counted (all of them when they are few), with when each changed (a
    name's or a quick-box search's branches)."""
    try:
        sql, params = _counted(
            orders.order_by().values_list("id", "modified_at"),
            few,
            "ORDER BY modified_at DESC, id DESC",
        )
    except EmptyResultSet:  # no customer matched
        return 0, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    page = _read_as_timestamps({pk: changed for pk, changed, _matched in rows})
    return (rows[0][-1] if rows else 0), page


def _counted_changed(orders: QuerySet[Order], few: int) -> tuple[int, dict[int, Changed]]:
    """How many `orders` there are, counted up to `few` + 1, and when each changed (a
    ChangedKey) when they are at most `few` (a name's orders with creation days)."""
    # Not stored: when they are many, the count alone runs the query (storing a range of
    # creation days' matches cost more than counting them).
    matched, rows = _counted_rows(
        orders.values_list("pk", ChangedKey("modified_at")), few, stored=False
    )
    return matched, _read_as_timestamps(dict(rows))


def _read_as_timestamps(changed: dict[int, Changed]) -> dict[int, Changed]:
    """When each order changed, read by a cursor: as the ORM would have read it (SQLite
    returns text), so that the branches' times compare alike."""
    if connection.vendor == "postgresql":
        return changed
    convert = connection.ops.convert_datetimefield_value
    return {pk: convert(when, None, connection) for pk, when in changed.items()}


def _counted_rows(rows: QuerySet, up_to: int, *, stored: bool) -> tuple[int, list[tuple]]:
    """How many `rows` there are, counted up to `up_to` + 1, and the rows themselves when they
    are at most `up_to`: one query, where a count and then a read took two round trips. When
    they are more, the read is not run (a one-time filter on the count) and only the count
    comes back: a city's 5,001 addresses are not sent to Python only to learn that they are
    many. `stored`: the matches are stored once and counted and read from there; otherwise
    the count and the read each run the query (the read only when the count allows)."""
    compiler = rows.order_by()[: up_to + 1].query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # no customer matched
        return 0, []
    columns = ", ".join(["NULL"] * len(compiler.select))
    # A PostgreSQL hint (SQLite before 3.35 has none, and the result is the same without it).
    hint = ""
    if connection.vendor == "postgresql":
        hint = "MATERIALIZED " if stored else "NOT MATERIALIZED "
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH found AS {hint}({sql}), "
            "counted AS (SELECT COUNT(*) AS matched FROM found) "
            f"SELECT {columns}, matched FROM counted UNION ALL "
            "SELECT found.*, NULL FROM found WHERE (SELECT matched FROM counted) <= %s",
            [*params, up_to],
        )
        found = cursor.fetchall()
    matched = next(row[-1] for row in found if row[-1] is not None)
    return matched, [row[:-1] for row in found if row[-1] is None]


def _newest(orders: QuerySet[Order], limit: int | None) -> dict[int, Changed]:
    """The `limit` most recently changed of `orders` (all without a limit), sorted rather than
    found by walking the `modified_at` index."""
    ordered = orders.order_by(_changed().desc(), "-id")
    if limit:  # a page's worth: as timestamps
        return dict(ordered.values_list("pk", "modified_at")[:limit])
    return dict(ordered.values_list("pk", ChangedKey("modified_at")))


def _recent(orders: QuerySet[Order], limit: int | None) -> dict[int, Changed] | QuerySet:
    """Many matches: the page's worth, read now by walking the (modified_at, id) index back
    from the end (so the page's own query sorts 50 ids, not walks the index again); without
    a page size, a subquery of them all."""
    recent = orders.order_by("-modified_at", "-id")
    if limit:
        return dict(recent.values_list("pk", "modified_at")[:limit])
    return recent.values("pk")


def _most_recent(found: dict[int, Changed], limit: int) -> list[int]:
    """The `limit` most recently changed of the few orders the branches found."""
    # (when, id) pairs compared as tuples: a name's thousands of orders with creation days
    # sorted without a Python call per order.
    newest = heapq.nlargest(limit, zip(found.values(), found.keys(), strict=True))
    return [pk for _changed, pk in newest]


class Match(NamedTuple):
    """A condition on orders, whether its matches are few (ids), and (without a page size)
    when each of those few changed, to page through them newest first (`_page_of_few`)."""

    condition: Q
    few: bool
    changed: dict[int, Changed] | None = None


def _any_of(branches: list[QuerySet | Broad | Sorted | Indexed], limit: int | None) -> Match:
    """Orders in any branch. One query per branch, not an OR: an OR across tables (a guest
    column or a customer's) leaves PostgreSQL only a scan of every order, while each branch
    alone uses its own index. Broad branches are combined in a UNION, each cut at the page
    end; few matches are passed as ids (only the page's worth of them when the page size is
    known: the rest cannot be on it). Returns the condition and whether its matches are few."""
    found: dict[int, Changed] = {}
    broad: list[QuerySet] = []
    for branch in branches:
        matched = _branch_ids(branch, limit)
        if isinstance(matched, dict):
            found.update(matched)
        else:
            broad.append(matched)
    ids = _most_recent(found, limit) if limit and len(found) > limit else found
    q = Q(IdIn(F("pk"), sorted(ids)))
    if broad:
        first, *rest = broad
        q |= Q(pk__in=first.union(*rest) if rest else first)
        return Match(q, False)
    return Match(q, True, None if limit else found)


def _customers_orders(limit: int | None, *lookups: dict[str, str]) -> QuerySet[Order] | Broad:
    """Orders of the registered customers matching any of `lookups` (each matching all its
    fields, see _customer_or_guest), counted in one query. More than FEW_CUSTOMERS customers
    have too many orders to count: the page of their most recent comes from the walk of the
    (modified_at, id) index, testing each order's customer."""
    first, *rest = (ext.customer_ids_matching(**lookup) for lookup in lookups)
    customers = first.union(*rest) if rest else first
    sql, params = _counted(customers.values_list("pk"), MANY_CUSTOMERS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, FEW_CUSTOMERS + 1])
        found = cursor.fetchall()
    matched = found[0][-1] if found else 0
    if matched > MANY_CUSTOMERS:
        return Broad(Order.objects.filter(customer_id__in=customers))
    if matched > FEW_CUSTOMERS and limit:
        # Tested against the customers' query, run again and hashed once (the OR keeps it
        # hashed, as for a SKU's lines): their ids (a first name's 1,000) read and sent back
        # as a list cost more than the walk.
        listed = Q(customer_id__in=customers) | Q(pk__isnull=True)
        return Broad(Order.objects.filter(listed))
    if matched > FEW_CUSTOMERS:
        # Without a page size the walk is a subquery of the other fields' query, where the
        # hashed OR made PostgreSQL test every order against it (a name with creation
        # days: minutes): as a list, which it hashes.
        ids = customers.values_list("pk", flat=True)[: MANY_CUSTOMERS + 1]
        return Broad(Order.objects.filter(IdIn(F("customer_id"), list(ids))))
    return Order.objects.filter(IdIn(F("customer_id"), [pk for pk, _matched in found]))


def _customer_or_guest(limit: int | None, **fields) -> Match:
    """Registered customers' orders matching `fields` on the customer, or guest orders
    matching them on the order's guest columns."""
    guest = Q()
    if fields.get("first_name"):
        guest &= Q(guest_first_name__istartswith=fields["first_name"])
    if fields.get("last_name"):
        guest &= Q(guest_last_name__istartswith=fields["last_name"])
    if fields.get("email"):
        guest &= Q(guest_email__iexact=fields["email"])
    if fields.get("phone_digits"):
        guest &= Q(guest_phone__contains=fields["phone_digits"])
    branches = [_customers_orders(limit, fields)]
    names_only = not (fields.get("email") or fields.get("phone_digits"))
    if guest and names_only:
        branches.append(Sorted(Order.objects.filter(guest), up_to=SORTED_NAME_MATCHES))
    elif guest:  # a logon ID alone has no guest column
        branches.append(Order.objects.filter(guest))
    return _any_of(branches, limit)


def _number_q(text: str) -> Q:
    """An order number as typed ('nw-000123'), or its digits alone ('123')."""
    q = Q(number=text.upper())
    if text.isdigit():
        q |= Q(number=order_number(int(text)))
    return q


def _quick_q(text: str, limit: int | None) -> Match:
    """The quick box: an order number or cart id, logon ID, e-mail, last name, phone or ZIP.
    The lookups of one value on one table (the order's number, id and guest e-mail; the
    customer's logon ID, e-mail, name and phone) are asked in one query each: a round trip
    costs more than each of their index lookups."""
    # A row or a few each, read through their indexes at once (a BitmapOr). Not the phone
    # fragment: it may match thousands, which are walked rather than counted and sorted.
    exact = _number_q(text) | Q(guest_email__iexact=text)
    if text.isdigit() and len(text) < 10:
        exact |= Q(pk=int(text))
    branches = [Order.objects.filter(exact)]
    customer_lookups = [{"logon_id": text}, {"email": text}]
    if any(ch.isalpha() for ch in text) and "@" not in text:
        customer_lookups.append({"last_name": text})
        guest_name = Order.objects.filter(guest_last_name__istartswith=text)
        branches.append(Sorted(guest_name, up_to=SORTED_NAME_MATCHES))
    digits = _digits(text)
    if len(digits) >= MIN_PHONE_DIGITS and PHONE_LIKE.match(text):
        customer_lookups.append({"phone_digits": digits})
        branches.append(Order.objects.filter(guest_phone__contains=digits))
    branches.append(_customers_orders(limit, *customer_lookups))
    postal = _postal_text(text)
    if 2 <= len(postal) <= 10 and postal.isalnum():
        branches.append(_orders_at_postal_code(postal))
    return _any_of(branches, limit)


def _orders_at_postal_code(postal: str) -> Indexed:
    return Indexed(
        OrderAddress.objects.annotate(postal_key=postal_code_key())
        .filter(postal_key=postal)
        .values_list("order_id", flat=True)
    )


def _name_match(limit: int | None, **names: str) -> Match | None:
    """Logon ID, first and last name, e-mail: on the customer or on the guest columns."""
    names = {field: (value or "").strip() for field, value in names.items()}
    return _customer_or_guest(limit, **names) if any(names.values()) else None


def _phone_match(phone: str, limit: int | None) -> Match:
    digits = _digits(phone)
    return _customer_or_guest(limit, phone_digits=digits) if digits else Match(Q(pk=None), True)


def _postal_match(postal_code: str, limit: int | None) -> Match:
    return _any_of([_orders_at_postal_code(_postal_text(postal_code.strip()))], limit)


HOUSE_NUMBER = re.compile(r"\d{3,}")
# After a number of 3 digits, the street's first two letters ('225 PA' of '225 Park Ave'): a
# few more trigrams that cut the number's lines from 10,000 to hundreds. Not after a longer
# number: its 500 lines cost less (2.5 ms) than the letters' trigrams in the index (9 ms).
AFTER_SHORT_NUMBER = re.compile(r" \w{1,2}")
SHORT_NUMBER = 3


# A character that is no letter or digit, then a digit: a house number after a unit ('Unit 2,
# 70 Bloor St W', '2-70 Bloor St W'). Lines with one have their own trigram index on PostgreSQL
# (migration 0016, whose partial index repeats this text exactly).
NUMBER_INSIDE = "[^0-9A-Za-z][0-9]"


def _street_match(street: str, limit: int | None) -> Match:
    text = street.strip()
    if text[:1].isdigit() and limit and connection.vendor == "postgresql":
        # What _any_of gives for one branch of few: the page's orders, then read as a list.
        return Match(Q(IdIn(F("pk"), sorted(_house_number_page(text, limit)))), True)
    if text[:1].isdigit():
        return _any_of(_house_number_branches(text), limit)
    lines = OrderAddress.objects.filter(line1__icontains=text)
    number = max(HOUSE_NUMBER.findall(text), key=len, default="")
    if number and number != text:
        # The trigram index finds the lines with the house number among a few hundred index
        # entries; the street name's trigrams ('BRO', ' ST') are in a tenth of all lines, and
        # intersecting those takes the index 50-130 ms at 5,000,000 orders. So the index is
        # asked for the number (3 digits: and the street's first two letters; the lines of
        # '225' are 10,000 table pages, 130 ms when not cached; those of '225 PA' 370), and
        # only its lines are tested for the whole text (through an expression the index does
        # not cover).
        after = AFTER_SHORT_NUMBER.match(text, text.index(number) + len(number))
        probe = number + after.group() if after and len(number) <= SHORT_NUMBER else number
        whole = Concat("line1", Value(""), output_field=CharField())
        lines = OrderAddress.objects.filter(line1__icontains=probe)
        lines = lines.alias(whole=whole).filter(whole__icontains=text)
    return _any_of([lines.values_list("order_id", flat=True)], limit)


WORD_SEPARATORS = re.compile("[^0-9A-Z]+")


def _spaced(text: Func) -> Func:
    """`text` upper-cased with one space for each run of what is no letter or digit (', 70 Bloor
    St W' -> ' 70 BLOOR ST W'), as migration 0018 indexes what follows a line's first number
    inside."""
    return Func(
        Upper(text),
        Value(WORD_SEPARATORS.pattern),
        Value(" "),
        Value("g"),
        function="REGEXP_REPLACE",
        output_field=CharField(),
    )


def _whole_number_pattern(text: str) -> str:
    """'70 Bloor' as a regular expression (the same in Python's and PostgreSQL's syntax) that
    a line holds where a word starts: at its start or after a character that is no letter or
    digit ('Unit 2, 70 Bloor St W'), not after a digit ('170 Bloor St W'). A typed number at
    the end is whole too: '70' is not the start of '705 Main St'."""
    end = "([^0-9]|$)" if text[-1].isdigit() else ""
    return f"(^|[^0-9a-z]){re.escape(text)}{end}"


def _house_number_branches(text: str) -> list[QuerySet | Indexed | Sorted]:
    """The orders with a line where `text`, which starts with a house number, starts a word.
    On PostgreSQL the lines come through their own indexes (0016, 0018): the lines starting with
    the text (a prefix of the upper-cased line, read from the index alone: hundreds of lines
    for a number of one or two digits, where the trigram index, which cannot tell '70' from
    '170', intersected the street name's common trigrams over millions of lines for 370 ms),
    and the lines with a number inside (after a unit), from partial indexes of that tenth of
    the lines. The word start is tested on each line that the indexes do not give exactly."""
    if connection.vendor != "postgresql":
        lines = OrderAddress.objects.filter(line1__iregex=_whole_number_pattern(text))
        return [lines.values_list("order_id", flat=True)]
    if text.isascii() and text.isdigit():
        # A number alone ('70'): its thousands of lines are one UNION ALL, read up to
        # WALK_FOR_INDEXED and walked past that. Each part comes from an index of its own
        # cheaply enough to run again for the walk; as two branches they were two walks (5M
        # orders, the benchmark's numbers: 59 -> 31 ms median); joined to their orders and
        # sorted, 13,000 took 160 ms.
        return [Indexed(_lines_holding_number(*_number_arguments(text)))]
    # A number and a street ('70 Bloor St W'): a few hundred lines. Their orders are counted
    # and their page read in one query, the kinds of line a UNION joined to the orders there;
    # as branches of their own their ids went back and forth in four queries (17 of 20 ms).
    either = Order.objects.filter(pk__in=_number_and_street_lines(text))
    return [Sorted(either, up_to=WALK_FOR_INDEXED)]


def _number_and_street_lines(text: str) -> QuerySet:
    """The order ids of the lines where `text`, a house number and more ('70 Bloor St W'),
    starts a word: one UNION ALL of those starting with it and those with it after a unit."""
    if text.isascii():
        arguments = _number_and_street_arguments(text)
        return _ascii_number_and_street_lines(*arguments, starts_whole=not text[-1].isdigit())
    lines = OrderAddress.objects.filter(line1__iregex=_whole_number_pattern(text))
    inside = lines.filter(line1__regex=NUMBER_INSIDE)
    # Python's upper case and PostgreSQL's agree on ASCII only: the line's own text asked.
    kinds = (lines.filter(line1__istartswith=text), inside.filter(line1__icontains=text))
    first, *rest = (kind.values_list("order_id", flat=True) for kind in kinds)
    return first.union(*rest, all=True)


def _ascii_number_and_street_lines(
    word_start: str, text: str, upper: str, number_and_word: str, *, starts_whole: bool
) -> QuerySet:
    """`_number_and_street_lines` of ASCII text, from what `_number_and_street_arguments`
    makes of it (the arguments of its SQL compiled once, _NUMBER_AND_STREET_LINES).
    `starts_whole`: the text ends with no digit, so where a line starts with it, or its first
    number inside does, it starts a word whole: those lines are not tested for the word start
    (the 635 lines starting with '15 King St W': 0.97 -> 0.24 ms)."""
    tested = OrderAddress.objects.filter(line1__iregex=word_start)
    starting = OrderAddress.objects.all() if starts_whole else tested
    at_start = starting.filter(line1__istartswith=text)
    inside = _lines_with_number_inside(starting, tested, upper, number_and_word)
    first, *rest = (kind.values_list("order_id", flat=True) for kind in (at_start, *inside))
    return first.union(*rest, all=True)


def _number_and_street_arguments(text: str) -> tuple[str, str, str, str]:
    """What the lines of an ASCII number and street are asked with: its word start (a regular
    expression), the text, upper-cased, and its number and next word as the trigram index of
    the text after a line's first number is asked (`_lines_with_number_inside`)."""
    # Asked of the trigram index as a word (' 7 MAIN' in the text with spaces for what is no
    # letter or digit): the trigrams of the number's start ('  7', ' 7 ') are what make it
    # selective ('7 MAIN ST' alone gave the trigram index 35,000 lines of 'MAIN ST' to read:
    # 200 ms). Only the number and the next word: the street's further trigrams (' ST', '  W')
    # are in most lines and cost the index more to intersect (13.7 ms for ' 70 BLOOR ST W', 5.4
    # for ' 70 BLOOR', the same 82 lines). Of the text after the first number: in the whole
    # line a unit's number ('36 Pine St') had the trigrams of 'Unit 36, 9 Pine St' too (940
    # lines read from the table for 66).
    upper = text.upper()
    number_and_word = " " + " ".join(WORD_SEPARATORS.sub(" ", upper).split(" ")[:2])
    return _whole_number_pattern(text), text, upper, number_and_word


# The SQL of the lines of a house number typed on PostgreSQL, made once per thread (a UNION of
# several kinds of line, each with expressions of indexes, cost the ORM 3-4 ms to build and
# compile on every search): a number alone, or a number and a street in ASCII.
_NUMBER_LINES = CompiledQuery(
    lambda *args: _lines_holding_number(*args, units_by_number=True), str, str, str, str, str
)
_NUMBER_AND_STREET_LINES = {
    starts_whole: CompiledQuery(
        lambda *args, whole=starts_whole: _ascii_number_and_street_lines(*args, starts_whole=whole),
        str,
        str,
        str,
        str,
    )
    for starts_whole in (False, True)
}

# The page of the orders of address lines (their order ids, `lines`), in one statement that
# reads the lines once: up to WALK_FOR_INDEXED of what `{counted}` counts (the lines
# themselves, or their distinct orders), their orders' page is sorted; more, the page is the
# walk of the (modified_at, id) index, each order tested against the lines (hashed once: the OR
# keeps PostgreSQL from joining the lines to each order walked). A count, then the page or the
# walk, planned the lines' UNION twice (2.5-4.5 ms each at 5,000,000 orders) in two round
# trips. Only one of the two halves runs: the other's condition is false. The lines are read
# once into the CTE: inlined where each half and the count use them (NOT MATERIALIZED), their
# UNION was planned three times (1.3 ms each then), a number and a street's trigrams were asked
# twice, and a number alone was no faster (5,000,000 orders: 15.1 against 14.3 ms median).
PAGE_OF_LINES = """WITH lines (order_id) AS MATERIALIZED ({lines}),
walk AS (SELECT COUNT(*) > %s AS yes FROM (SELECT {counted} FROM lines LIMIT %s) AS counted)
(SELECT id FROM {orders} WHERE (SELECT yes FROM walk)
 AND (id IN (SELECT order_id FROM lines) OR id IS NULL)
 ORDER BY modified_at DESC, id DESC LIMIT %s)
UNION ALL
(SELECT id FROM {orders} WHERE NOT (SELECT yes FROM walk)
 AND id = ANY(ARRAY(SELECT order_id FROM lines))
 ORDER BY modified_at + INTERVAL '0' DESC, id DESC LIMIT %s)"""


def _house_number_page(text: str, limit: int) -> list[int]:
    """The ids of the `limit` most recently changed orders with a line where `text`, which
    starts with a house number, starts a word (`_house_number_branches`): one statement
    (PostgreSQL). Not when each changed: the page's own query sorts them."""
    # A number alone counts its lines as they are read, as the branch of lines read from an
    # index alone does (_branch_ids): a count of their distinct orders read all of them before
    # the walk (4 ms for 36's 22,000). A number and a street counts its orders, as a branch of
    # orders does: its few hundred lines are read whole anyway, and an order may have several
    # (billed and shipped there), which sorted cost less than walking to the page.
    counted = "1"
    if text.isascii() and text.isdigit():
        sql, params = _NUMBER_LINES.sql(*_number_arguments(text))
    elif text.isascii():
        compiled = _NUMBER_AND_STREET_LINES[not text[-1].isdigit()]
        sql, params = compiled.sql(*_number_and_street_arguments(text))
        counted = "DISTINCT order_id"
    else:
        sql, params = _number_and_street_lines(text).query.sql_with_params()
        counted = "DISTINCT order_id"
    statement = (
        PAGE_OF_LINES.replace("{orders}", Order._meta.db_table)
        .replace("{counted}", counted)
        .replace("{lines}", sql)
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, WALK_FOR_INDEXED, WALK_FOR_INDEXED + 1, limit, limit])
        return [pk for (pk,) in cursor.fetchall()]


class PatternText(CharField):
    """Text compared byte by byte, with the operators of a text_pattern_ops index (~>=~, ~<~),
    for a range of it that no LIKE prefix gives. PostgreSQL only."""


class _PatternLookup(Lookup):
    operator = ""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


@PatternText.register_lookup
class PatternFrom(_PatternLookup):
    lookup_name = "pattern_gte"
    operator = "~>=~"


@PatternText.register_lookup
class PatternBefore(_PatternLookup):
    lookup_name = "pattern_lt"
    operator = "~<~"


class LineFromNumberInside(Func):
    """The upper-cased line from its first number after a character that is no letter or digit
    ('Unit 36, 16 Park Ave' -> '36, 16 PARK AVE'; NULL without one), compared byte by byte:
    the expression of the partial prefix index of migration 0018 (its pattern is in the SQL,
    not a parameter, for PostgreSQL to recognize the indexed expression). PostgreSQL only."""

    template = "UPPER(SUBSTRING(%(expressions)s::text FROM '[^0-9A-Za-z]([0-9].*)$'))"
    output_field = PatternText()


class LineAfterNumberInside(Func):
    """What follows the line's first number after a character that is no letter or digit
    ('Unit 36, 16 Park Ave' -> ', 16 Park Ave'), where the house number is after a unit: the
    text of the partial indexes of migration 0018 (its pattern in the SQL, as for
    LineFromNumberInside). PostgreSQL only."""

    template = "SUBSTRING(%(expressions)s::text FROM '[^0-9A-Za-z][0-9]+(.*)$')"
    output_field = CharField()


class FirstNumberInside(Func):
    """The line's first number after a character that is no letter or digit ('Unit 36B, 16 Park
    Ave' -> '36'; NULL without one), the number LineFromNumberInside starts with: the
    expression of a partial index of migration 0020. PostgreSQL only."""

    template = "SUBSTRING(%(expressions)s::text FROM '[^0-9A-Za-z]([0-9]+)')"
    output_field = CharField()


class SecondNumberInside(Func):
    """The line's number after its first number inside, when it starts a word ('Unit 4, 36 Elm
    St' -> '36'; 'Unit 4, B36 Elm' and lines with one number inside: NULL): the expression of
    a partial index of migration 0020. PostgreSQL only."""

    template = (
        "SUBSTRING(SUBSTRING(%(expressions)s::text FROM '[^0-9A-Za-z][0-9]+(.*)$') "
        "FROM '^[^0-9]*[^0-9A-Za-z]([0-9]+)')"
    )
    output_field = CharField()


class LineAfterFirstOfThree(Func):
    """What follows the line's first number inside when two numbers or more follow it ('Unit 3,
    5, 36 Pine St' -> ', 5, 36 Pine St'; NULL with fewer): the text of the partial GIN index of
    migration 0020. PostgreSQL only."""

    template = (
        "SUBSTRING(%(expressions)s::text FROM '[^0-9A-Za-z][0-9]+([^0-9]+[0-9]+[^0-9]+[0-9].*)$')"
    )
    output_field = CharField()


class HoldsNumber(Func):
    """Whether the runs of digits of a text include the number given: the expression of the
    partial GIN index of migration 0020 on LineAfterFirstOfThree. PostgreSQL only."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        (text, text_params), (number, number_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        sql = f"REGEXP_SPLIT_TO_ARRAY({text}, '[^0-9]+') @> ARRAY[({number})::text]"
        return sql, [*text_params, *number_params]


def _number_arguments(number: str) -> tuple[str, str, str, str, str]:
    """What the lines of a number typed alone are asked with (`_lines_holding_number`): the
    number, the bounds of its two ranges of a prefix index (`_starting_with_number`: '70',
    '700', '70:', '71') and its word start (a regular expression)."""
    past_digits = number[:-1] + chr(ord(number[-1]) + 1)  # '70' -> '71', '79' -> '7:'
    return number, number + "0", number + ":", past_digits, _whole_number_pattern(number)


def _starting_with_number(
    lines: QuerySet, text: Func, number: str, longer: str, past_longer: str, next_number: str
) -> list[QuerySet]:
    """The order ids of `lines` whose `text` (compared byte by byte) starts with `number` as a
    whole number: two ranges of its prefix index, what follows the number sorting before the
    digits ('70', '70 BLOOR', '70-2 BLOOR': from '70' to `longer`, '700') or after them ('70A
    BLOOR': from `past_longer`, '70:', to `next_number`, '71'), each read from the index alone.
    As a prefix ('70%') the index gave the lines of 700-709 and 7000-7099 too, five times as
    many to test and drop (70: 53,000 index entries for 9,000 lines, 21 ms)."""
    lines = lines.alias(text=text)
    before = lines.filter(text__pattern_gte=number, text__pattern_lt=longer)
    after = lines.filter(text__pattern_gte=past_longer, text__pattern_lt=next_number)
    return [before.values_list("order_id", flat=True), after.values_list("order_id", flat=True)]


def _lines_holding_number(
    number: str,
    longer: str,
    past_longer: str,
    next_number: str,
    word_start: str,
    *,
    units_by_number: bool = False,
) -> QuerySet:
    """The order ids of the lines holding `number` (typed alone) where a word starts, as one
    UNION ALL of the lines
    - starting with it (0016's prefix index of the upper-cased line),
    - whose first number after a unit is it ('Unit 70, 9 Oak Ave'): 13,000 lines for a unit's
      number (1-40), read from an index alone, where a GIN index of all their numbers (0017)
      read each from the table (130-170 ms at 5M orders). Two ranges of 0018's prefix index of
      the line from that number; with `units_by_number` (the page's one statement), 0020's
      index of the number itself, whose lines come in their order in the table: 0018's come
      in the order of the rest of their text, each in a part of the table of its own, whose
      visibility PostgreSQL looked up for each (7,300 buffers for 36's 12,500 lines), and its
      condition cost 0.35 ms to plan for each range,
    - whose second number inside is it, starting a word ('Unit 4, 70 Elm St'; 0020's index of
      that number): a thousand for a short house number, read from the index alone, where
      0018's GIN index of the numbers after the first read each from the table (6.5 of 20 ms
      at 5M orders when not in PostgreSQL's cache),
    - holding it further inside ('Unit 3, 5, 70 Elm St'; 0020's GIN index of the numbers after
      the first, of lines with two or more), tested for the word start.
    The ranges of the prefix indexes, and the numbers of 0020's indexes, are the word start
    itself (a whole number at the start of their text, which for the second and third follows
    a character that is no letter or digit): their lines are not tested again (36: 9,000 lines,
    6.5 -> 1.1 ms). The arguments are those of `_number_arguments`."""
    addresses = OrderAddress.objects.all()
    later = addresses.filter(line1__iregex=word_start).filter(
        HoldsNumber(LineAfterFirstOfThree("line1"), Value(number))
    )
    bounds = (number, longer, past_longer, next_number)
    if units_by_number:
        unit = addresses.alias(unit=FirstNumberInside("line1")).filter(unit=number)
        units = [unit.values_list("order_id", flat=True)]
    else:
        inside = addresses.filter(line1__regex=NUMBER_INSIDE)
        units = _starting_with_number(inside, LineFromNumberInside("line1"), *bounds)
    second = addresses.alias(second=SecondNumberInside("line1")).filter(second=number)
    first, *rest = (
        *_starting_with_number(addresses, Upper("line1", output_field=PatternText()), *bounds),
        *units,
        second.values_list("order_id", flat=True),
        later.values_list("order_id", flat=True),
    )
    return first.union(*rest, all=True)


def _lines_with_number_inside(
    starting: QuerySet, tested: QuerySet, upper: str, number_and_word: str
) -> list[QuerySet]:
    """The lines with a text (a number, then more; ASCII, `upper` upper-cased) after a unit,
    from their partial indexes (0018): of `starting`, those whose first number inside starts
    the text ('2-70 Bloor St W', read from the prefix index alone), and of `tested` (the lines
    where the whole text starts a word), those holding its number and next word
    (`number_and_word`, see `_number_and_street_arguments`) after that first number ('Unit 2,
    70 Bloor St W')."""
    first = starting.filter(line1__regex=NUMBER_INSIDE)
    first = first.alias(from_number=LineFromNumberInside("line1"))
    later = tested.filter(line1__regex=NUMBER_INSIDE)
    later = later.alias(spaced=_spaced(LineAfterNumberInside("line1")))
    return [
        first.filter(from_number__startswith=upper),
        later.filter(spaced__contains=number_and_word),
    ]


def _city_match(city: str, limit: int | None) -> Match:
    cities = OrderAddress.objects.filter(city__istartswith=city.strip())
    return _any_of([cities.values_list("order_id", flat=True)], limit)


def _sku_match(sku: str, limit: int | None) -> Match:
    lines = OrderLine.objects.filter(sku_id__in=ext.sku_ids_with_code(sku))
    return _any_of([Indexed(lines.values_list("order_id", flat=True))], limit)


def _created_match(
    created_from: dt.date | None, created_to: dt.date | None, limit: int | None
) -> Match | None:
    created = Q()
    if created_from:
        created &= Q(created_at__gte=_start_of(created_from))
    if created_to:
        created &= Q(created_at__lt=_start_of(created_to + dt.timedelta(days=1)))
    if not created:
        return None
    orders = Order.objects.filter(created)
    if created_from and created_to and _sort_rather_than_walk(created_from, created_to):
        return _any_of([Sorted(orders)], limit)
    return _any_of([orders], limit)


def _sort_rather_than_walk(created_from: dt.date, created_to: dt.date) -> bool:
    """Whether the days are fewer than the days since: with orders created at a steady rate,
    sorting the range reads fewer rows than walking back to it from the newest change."""
    return (created_to - created_from).days + 1 <= (timezone.localdate() - created_to).days


# The fields searched through their own index (one function each, given the value and the
# page size); the names and the creation dates, which combine several fields, come apart.
FIELD_MATCHES = {
    "query": lambda text, limit: _quick_q(text.strip(), limit) if text.strip() else None,
    "number": lambda text, _limit: Match(_number_q(text.strip()), True),
    "phone": _phone_match,
    "postal_code": _postal_match,
    "street": _street_match,
    "city": _city_match,
    "sku": _sku_match,
}
NAME_FIELDS = ("logon_id", "first_name", "last_name", "email")


def _plain_filters(
    qs: QuerySet[Order],
    *,
    status: str | None,
    modified_from: dt.date | None,
    modified_to: dt.date | None,
    customer_id: int | None,
) -> QuerySet[Order]:
    """The columns of the order itself, filtered in the outer query."""
    if status:
        qs = qs.filter(status=status)
    if modified_from:
        qs = qs.filter(modified_at__gte=_start_of(modified_from))
    if modified_to:
        qs = qs.filter(modified_at__lt=_start_of(modified_to + dt.timedelta(days=1)))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs


def _newest_first(qs: QuerySet[Order], matches: list[Match]) -> QuerySet[Order]:
    if any(match.few for match in matches):
        # The matches are a known, short list of ids: read those and sort them. Ordered by
        # the bare column, PostgreSQL may instead walk the `modified_at` index over every
        # order, testing each against the list (it cannot tell the list is short).
        return qs.order_by(_changed().desc(), "-id")
    return qs.order_by("-modified_at", "-id")


def order_search(
    *,
    limit: int | None = None,
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
    status: str | None = None,
    modified_from: dt.date | None = None,
    modified_to: dt.date | None = None,
    customer_id: int | None = None,
    **fields: str | None,
) -> QuerySet[Order]:
    """Find orders and pending carts, most recently changed first; every field given must match.

    `fields`: `query` (the quick box) matches an order number, logon ID, e-mail, last name,
    phone or ZIP; `number`, `logon_id`, `first_name`, `last_name`, `email`, `phone`,
    `postal_code`, `street`, `city`, `sku`. A phone matches any formatting or fragment of four
    digits or more, on a registered customer or a guest ('213-555-2553', '(213) 555-2553',
    '555-2553'); a ZIP ignores case, spaces and dashes; `street` is any part of an address
    line, but a house number it starts with is a whole one ('70 Bloor' finds '70 Bloor St W'
    and 'Unit 2, 70 Bloor St W', not '170 Bloor St W'); `city` a prefix; `sku` an item's code.
    `limit` is the number of rows the caller reads at most: each branch of a name, phone or
    quick-box search stops there, which keeps broad ones fast on millions of orders.
    """
    unknown = set(fields) - set(FIELD_MATCHES) - set(NAME_FIELDS)
    if unknown:
        raise TypeError(f"order_search() got unexpected fields {sorted(unknown)}")
    plain = {
        "status": status,
        "modified_from": modified_from,
        "modified_to": modified_to,
        "customer_id": customer_id,
    }
    given = [fields.get(name) for name in FIELD_MATCHES]
    given += [any(fields.get(name) for name in NAME_FIELDS), created_from or created_to]
    page = limit
    if sum(bool(value) for value in given + list(plain.values())) > 1:
        # A branch cut at the page end is only right when nothing else narrows the result.
        limit = None
    found = [
        match(value, limit) for name, match in FIELD_MATCHES.items() if (value := fields.get(name))
    ]
    found.append(_name_match(limit, **{name: fields.get(name) for name in NAME_FIELDS}))
    found.append(_created_match(created_from, created_to, limit))
    matches = [match for match in found if match is not None]
    listed = [match for match in matches if match.changed is not None]
    shortest = min(listed, key=lambda match: len(match.changed), default=None)
    if page and not limit and shortest and len(shortest.changed) > page:
        others = Order.objects.all()
        for match in matches:
            others = others.filter(match.condition) if match is not shortest else others
        return _page_of_few(_plain_filters(others, **plain), shortest.changed, page)
    qs = Order.objects.select_related("customer", "created_by")
    for match in matches:
        qs = qs.filter(match.condition)
    qs = _newest_first(_plain_filters(qs, **plain), matches)
    if page and not limit and not any(match.few for match in matches):
        return _page_first(qs, page)
    return qs


# Several fields, one of them a list of known orders (with when each changed): the list is
# tested against the other fields in slices, most recently changed first, until the page is
# full. A name's 6,000 orders and a range of creation days: the first 200 usually fill it.
FIRST_SLICE = 200


def _page_of_few(
    others: QuerySet[Order], changed: dict[int, Changed], page: int
) -> QuerySet[Order]:
    """The page of the orders in `changed` that `others` (the other fields) also match. Read
    whole, the list would be looked up order by order (thousands) before the others narrow
    it; in slices of its most recently changed, the lookups stop once a page is found."""
    ids: list[int] = []
    start, size = 0, FIRST_SLICE
    while start < len(changed) and len(ids) < page:
        # ranked as far as this slice: the first usually fills the page, with no full sort
        ranked = _most_recent(changed, start + size)
        part = others.filter(IdIn(F("pk"), ranked[start : start + size]))
        ids += part.order_by(_changed().desc(), "-id").values_list("pk", flat=True)[
            : page - len(ids)
        ]
        start, size = start + size, size * 4
    return (
        Order.objects.select_related("customer", "created_by")
        .filter(IdIn(F("pk"), ids))
        .order_by(_changed().desc(), "-id")
    )


def _page_first(qs: QuerySet[Order], page: int) -> QuerySet[Order]:
    """Several fields, none of few matches: the walk of the (modified_at, id) index tests
    thousands of orders. Asked for their ids only, it tests them in the index (which holds the
    customer and creation time); reading whole orders, it would read each from the table."""
    ids = list(qs.values_list("pk", flat=True)[:page])
    return (
        qs.model.objects.select_related("customer", "created_by")
        .filter(IdIn(F("pk"), ids))
        .order_by(_changed().desc(), "-id")
    )


def customer_orders(*, customer_id: int) -> QuerySet[Order]:
    """A registered customer's orders and parked carts, newest first, with their line count."""
    return (
        Order.objects.filter(customer_id=customer_id)
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-id")
    )


def order_get(order_id) -> Order | None:
    return Order.objects.select_related("customer", "created_by").filter(pk=order_id).first()


def current_payment(order: Order) -> OrderPayment | None:
    return (
        OrderPayment.objects.filter(order=order)
        .exclude(status__in=[PaymentStatus.REPLACED, PaymentStatus.VOIDED])
        .order_by("-id")
        .first()
    )


@dataclass
class AvailabilityView:
    state: str  # ok | partial | backorder | bad | unknown
    text: str


def promotion_code_offered(query: str, items) -> str:
    """The promotion code the item box offers first for what was typed (Enter enters it): the
    code the text names, unless one of the items found has a code that starts with the text."""
    typed = ext.compact_code(query)
    if any(ext.compact_code(item.code).startswith(typed) for item in items):
        return ""
    return ext.promotion_code_named(query)


def availability_view(av: Availability | None, quantity: int) -> AvailabilityView:
    """A short label from inventory's Availability (or nothing): what is free to sell now
    ("in stock"), for a suggestion or a line that holds nothing yet."""
    if av is None:
        return AvailabilityView("unknown", "unknown")
    now, center = av.available_now, av.center_code or ""
    exp_qty, exp_date = av.expected_quantity, av.expected_date
    if now >= quantity:
        return AvailabilityView("ok", f"✓ {now} in stock {center}".strip())
    when = f" on {exp_date:%-d %b}" if exp_date else ""
    if now > 0:
        return AvailabilityView("partial", f"◔ {now} now, {quantity - now} later{when}")
    if exp_qty:
        return AvailabilityView("backorder", f"backorder{when}")
    return AvailabilityView("bad", "none in stock")


def held_view(line: OrderLine, held: dict | None) -> AvailabilityView:
    """The Avail. label of a line that holds stock: what allocation gave it (a kit counts its
    components' units, so partial counts are shown only when they can be whole items)."""
    if line.inventory_status == LineInventoryStatus.ALLOCATED:
        centers = " ".join((held or {}).get("centers", []))
        return AvailabilityView("ok", f"✓ {line.quantity} held {centers}".strip())
    held = held or {}
    when = f" on {held['expected_date']:%-d %b}" if held.get("expected_date") else ""
    now = held.get("on_hand", 0)
    if 0 < now < line.quantity:
        return AvailabilityView("partial", f"◔ {now} now, {line.quantity - now} later{when}")
    if held.get("expected"):
        return AvailabilityView("backorder", f"backorder{when}")
    return AvailabilityView("bad", "backordered, no date")


HOLDING = (LineInventoryStatus.ALLOCATED, LineInventoryStatus.BACKORDERED)


def _lines_for_screens(now: dt.datetime):
    return ext.annotate_sku_buyable(
        OrderLine.objects.select_related("sku__product", "ship_to"), now
    )


# Compiled once (core.db.CompiledQuery): the rule of buyable (a join and a subquery) and the
# joins cost the ORM several times what the database takes to answer, on every cart change.
_CART_LINES = CompiledQuery(
    lambda order_id, now: _lines_for_screens(now).filter(order_id=order_id), int, dt.datetime
)
_CART_LINE = CompiledQuery(
    lambda order_id, line_id, now: _lines_for_screens(now).filter(order_id=order_id, pk=line_id),
    int,
    int,
    dt.datetime,
)


def cart_lines(order: Order) -> list[OrderLine]:
    """The order's lines for the screens: a line that holds stock shows what it holds (one
    query for all); one that does not yet (no ship-to, or swept) shows what it could get."""
    return _for_screens(_CART_LINES.objects(order.pk, timezone.now()))


def cart_line(order: Order, line_id: int) -> OrderLine | None:
    """One of the order's lines, as `cart_lines` shows it (None: not on the order)."""
    lines = _for_screens(_CART_LINE.objects(order.pk, line_id, timezone.now()))
    return lines[0] if lines else None


def _for_screens(lines: list[OrderLine]) -> list[OrderLine]:
    held = ext.held_stock(line_ids=[ln.pk for ln in lines if ln.inventory_status in HOLDING])
    waiting = [ln for ln in lines if ln.inventory_status == LineInventoryStatus.UNALLOCATED]
    avail = ext.availability(sku_ids={ln.sku_id for ln in waiting})
    assoc = ext.associations({line.sku_id for line in lines})
    for line in lines:
        if line.inventory_status in HOLDING:
            line.avail = held_view(line, held.get(line.pk))
        elif line.inventory_status == LineInventoryStatus.UNALLOCATED:
            line.avail = availability_view(avail.get(line.sku_id), line.quantity)
        else:
            state = "bad" if line.inventory_status == LineInventoryStatus.CANCELED else "ok"
            line.avail = AvailabilityView(state, line.get_inventory_status_display().lower())
        line.associations = assoc.get(line.sku_id, [])
        line.buyable = bool(line.sku_buyable)
    return lines


def order_summary(order: Order) -> dict:
    """Everything the order screen, the review and the confirmation e-mail show."""
    lines = cart_lines(order)
    addresses = list(OrderAddress.objects.filter(order=order).select_related("shipping_method"))
    ship_tos = [a for a in addresses if a.kind == OrderAddress.Kind.SHIPPING]
    billing = next((a for a in addresses if a.kind == OrderAddress.Kind.BILLING), None)
    groups: OrderedDict = OrderedDict()
    for addr in ship_tos:
        groups[addr.pk] = {"address": addr, "lines": []}
    unassigned = []
    for line in lines:
        if line.ship_to_id in groups:
            groups[line.ship_to_id]["lines"].append(line)
        else:
            unassigned.append(line)
    current = next((a for a in ship_tos if a.pk == order.current_ship_to_id), None)
    return {
        "order": order,
        "lines": lines,
        "ship_tos": ship_tos,
        "current_ship_to": current,
        "groups": [g for g in groups.values() if g["lines"]],
        "unassigned": unassigned,
        "billing": billing,
        "payment": current_payment(order),
        "is_pending": order.status == OrderStatus.PENDING,
    }


def order_detail(order: Order) -> dict:
    context = order_summary(order)
    context["events"] = list(OrderEvent.objects.filter(order=order).select_related("actor"))
    context["comments"] = list(OrderComment.objects.filter(order=order).select_related("author"))
    context["payments"] = list(OrderPayment.objects.filter(order=order))
    return context


# --- for the fulfillment of orders: the release job, ship confirmation, payment attention -----

RELEASABLE_ORDER_STATES = (OrderStatus.AUTHORIZED, OrderStatus.BACKORDERED, OrderStatus.RELEASED)


def _open_holds():
    return OrderHold.objects.filter(order_id=OuterRef("pk"), released_at__isnull=True)


def releasable_order_ids(*, after_id: int, limit: int) -> list[int]:
    """The next orders after the cursor (order id) that may be released and have a line
    allocated (walking orders by key from the cursor, each asked about its lines by key)."""
    allocated = OrderLine.objects.filter(
        order_id=OuterRef("pk"),
        order_id__gt=after_id,  # said again here so that a merge join starts at the cursor
        inventory_status=LineInventoryStatus.ALLOCATED,
    )
    return list(
        Order.objects.filter(pk__gt=after_id, status__in=RELEASABLE_ORDER_STATES)
        .filter(Exists(allocated))
        .exclude(Exists(_open_holds()))  # a held order is not released (issue 16)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# The two reads of a release batch on PostgreSQL: the same rows as their ORM queries below, with
# the batch's ids in one array parameter. Through the ORM each of a thousand ids is a parameter
# bound in Python, and the rows come back in chunks: most of a batch's Python time.
_LOCK_RELEASABLE_SQL = """
SELECT o.id, o.number, o.status, o.atp_choice FROM orders_order o
WHERE o.id = ANY(%s::bigint[]) AND o.status = ANY(%s::text[])
  AND NOT EXISTS (
      SELECT 1 FROM orders_orderhold h WHERE h.order_id = o.id AND h.released_at IS NULL)
ORDER BY o.id FOR UPDATE OF o SKIP LOCKED
"""
# The ship-to's method is read by key per line: a join here would make the planner hash every
# address row, on every batch of the release job.
_RELEASE_LINES_SQL = """
SELECT l.id, l.order_id, l.sku_id, l.quantity, l.inventory_status, l.ship_to_id,
       (SELECT a.shipping_method_id FROM orders_orderaddress a WHERE a.id = l.ship_to_id)
FROM orders_orderline l WHERE l.order_id = ANY(%s::bigint[]) ORDER BY l.order_id, l.id
"""


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def lock_releasable_orders(order_ids: list[int]) -> list[tuple[int, str | None, str, str]]:
    """Lock those of `order_ids` still releasable, skipping rows another transaction holds (a
    second release worker, a CSR canceling): (id, number, status, atp_choice), by id."""
    if connection.vendor == "postgresql":
        states = text_array(RELEASABLE_ORDER_STATES)
        return _fetch(_LOCK_RELEASABLE_SQL, [int_array(order_ids), states])
    return list(
        Order.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=order_ids, status__in=RELEASABLE_ORDER_STATES)
        .exclude(Exists(_open_holds()))
        .order_by("pk")
        .values_list("pk", "number", "status", "atp_choice")
    )


def release_lines(order_ids: list[int]) -> list[tuple]:
    """The lines of these orders, by order and id, as (id, order_id, sku_id, quantity,
    inventory_status, ship_to_id, shipping_method_id of the ship-to)."""
    if connection.vendor == "postgresql":
        return _fetch(_RELEASE_LINES_SQL, [int_array(order_ids)])
    method = OrderAddress.objects.filter(pk=OuterRef("ship_to_id"))
    return list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .annotate(method_id=Subquery(method.values("shipping_method_id")))
        .order_by("order_id", "pk")
        .values_list(
            "pk", "order_id", "sku_id", "quantity", "inventory_status", "ship_to_id", "method_id"
        )
    )


def order_for_update(order_id: int) -> Order:
    """The order, its row locked until the transaction ends (the lock cancel takes too)."""
    return Order.objects.select_for_update().get(pk=order_id)


def line_statuses(order_id: int) -> dict[int, str]:
    return dict(OrderLine.objects.filter(order_id=order_id).values_list("pk", "inventory_status"))


def lines_by_id(line_ids) -> dict[int, OrderLine]:
    return {line.pk: line for line in OrderLine.objects.filter(pk__in=line_ids)}


def capturable_payment(order_id: int) -> OrderPayment | None:
    """The order's authorized card that a shipment's amount is captured from."""
    return (
        OrderPayment.objects.filter(
            order_id=order_id,
            status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.REVIEW, PaymentStatus.CAPTURED],
        )
        .exclude(authorization_id="")
        .order_by("-pk")
        .first()
    )


def orders_requiring_payment_attention(*, capture_failed: QuerySet) -> QuerySet[Order]:
    """ "Find orders requiring payment attn": in payment review, with a failed capture (the
    order ids of `capture_failed`), or shipped/released with a note of what went wrong."""
    return (
        Order.objects.filter(
            Q(status=OrderStatus.PAYMENT_REVIEW)
            | Q(pk__in=capture_failed)
            | (Q(status__in=[OrderStatus.SHIPPED, OrderStatus.RELEASED]) & ~Q(attention=""))
        )
        .select_related("customer")
        .order_by("-modified_at", "-id")
    )


def order_history(order: Order) -> QuerySet[OrderEvent]:
    """The order's timeline, oldest first, with who did each thing."""
    return (
        OrderEvent.objects.filter(order=order).select_related("actor").order_by("occurred_at", "id")
    )


# --- changes after submit and holds (issue 16) ---------------------------------------------------


def order_versions(order: Order) -> list:
    return list(OrderVersion.objects.filter(order=order).select_related("created_by"))


def hold_queue(*, hold_type: str | None = None):
    """Open holds, oldest first, with their order: the review queue."""
    qs = OrderHold.objects.filter(released_at__isnull=True).select_related(
        "order", "placed_by", "released_by"
    )
    if hold_type:
        qs = qs.filter(type=hold_type)
    return qs.order_by("placed_at", "id")


def order_holds(order: Order) -> list:
    return list(OrderHold.objects.filter(order=order).select_related("placed_by", "released_by"))


def open_holds(order: Order) -> list:
    """The holds that keep the order from the warehouse now, oldest first."""
    return list(OrderHold.objects.filter(order=order, released_at__isnull=True))


# Placed and not yet shipped or canceled: what a business account still owes for.
OPEN_ACCOUNT_STATES = (
    OrderStatus.SUBMITTED,
    OrderStatus.AUTHORIZED,
    OrderStatus.PAYMENT_REVIEW,
    OrderStatus.BACKORDERED,
    OrderStatus.RELEASED,
)


def account_open_total(*, organization_id: int, currency: str, exclude_order_id=None) -> Decimal:
    """The totals of the account's open orders (its members' orders placed and not yet shipped
    or canceled) in `currency`, leaving out `exclude_order_id` (the order being checked)."""
    orders = Order.objects.filter(
        customer_id__in=ext.account_member_ids(organization_id),
        status__in=OPEN_ACCOUNT_STATES,
        currency=currency,
    )
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    return orders.aggregate(open=Sum("total"))["open"] or Decimal("0.00")
