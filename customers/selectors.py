"""Read paths for customers, shared by the screens and the API.

`find_customers` is the "Find customer" search. Every field matches a prefix, ignoring case
("smi" finds Smith); a phone matches any fragment of its digits whatever the formatting
("(555) 010-2233", "5550102233", "+1 555 010 2233", "0102233"); a ZIP / postal code ignores
case, spaces and dashes.

How it stays fast on a million customers (PostgreSQL): results are ordered by
(UPPER(last_name), UPPER(first_name), id) in the "C" collation, which one btree index serves
(migration 0004), so a last-name prefix is a range scan of that index that stops after one page.
The quick box is a UNION of one small query per field, each ordered by the same key and cut at
the page end, so each branch uses its own index (prefix pattern_ops, phone-digit trigrams) and
the outer query sorts at most a few pages of ids. A whole ZIP or a phone fragment of five digits
or more matches few customers: those branches fetch all their matches through their own index
(ZIP: index-only, migration 0005) and sort them, never walking the name index (see add_few).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate, Upper

from customers.models import (
    Address,
    Customer,
    CustomerEvent,
    CustomerNote,
    Organization,
    PaymentMethod,
    digits_only,
    normalize_postal_code,
)

PAGE_SIZE = 25
PHONE_LIKE = re.compile(r"^[\d\s().+\-/]+$")
MIN_PHONE_DIGITS = 4
# From this many characters a ZIP / postal code prefix (a whole US ZIP, most of a Canadian
# code) or phone-digit fragment matches few customers: a ZIP holds at most about a thousand of
# a million, five digits in a row occur in about a hundred phone numbers. Shorter ones
# ("M5", "416") can match a large share, which only a walk in name order pages quickly.
FEW_MATCHES_LENGTH = 5
ADVANCED_FIELDS = (
    "logon_id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "postal_code",
    "account_number",
    "segment",
    "is_enabled",
)


def _collation() -> str:
    return "C" if connection.vendor == "postgresql" else "BINARY"


def _with_sort_keys(qs: QuerySet) -> QuerySet:
    collation = _collation()
    return qs.annotate(
        _last_key=Collate(Upper("last_name"), collation),
        _first_key=Collate(Upper("first_name"), collation),
    )


SORT = ("_last_key", "_first_key", "id")


def _advanced_q(
    *,
    logon_id=None,
    first_name=None,
    last_name=None,
    phone=None,
    email=None,
    postal_code=None,
    account_number=None,
    segment=None,
    is_enabled=None,
) -> Q:
    q = Q()
    if logon_id:
        q &= Q(logon_id__istartswith=logon_id.strip())
    if first_name:
        q &= Q(_first_key__startswith=first_name.strip().upper())
    if last_name:
        q &= Q(_last_key__startswith=last_name.strip().upper())
    if email:
        q &= Q(email__istartswith=email.strip())
    if phone:
        digits = digits_only(phone)
        q &= Q(phone_digits__contains=digits) if digits else Q(pk__in=[])
    if postal_code:
        code = normalize_postal_code(postal_code)
        q &= Q(
            pk__in=Address.objects.filter(postal_code_search__startswith=code).values("customer_id")
        )
    if account_number:
        q &= Q(organization__in=_organizations_matching(account_number))
    if segment:
        key = segment.pk if hasattr(segment, "pk") else segment
        if isinstance(key, int) or str(key).isdigit():
            q &= Q(segments__pk=int(key))
        else:
            q &= Q(segments__code__iexact=str(key))
    if is_enabled is not None and is_enabled != "":
        if isinstance(is_enabled, str):
            is_enabled = is_enabled.lower() in {"1", "true", "yes", "on"}
        q &= Q(is_enabled=bool(is_enabled))
    return q


def _organizations_matching(text: str) -> QuerySet:
    text = text.strip()
    return Organization.objects.filter(
        Q(account_number__istartswith=text) | Q(name__istartswith=text)
    ).values("pk")


def _like_prefix(value: str) -> str:
    return connection.ops.prep_for_like_query(value) + "%"


def _quick_union_sql(query: str, limit: int | None) -> tuple[str, list]:
    """SQL returning the ids of customers the quick-box text matches, one UNION branch per way
    it can match, each cut at `limit` rows in result order. Hand-written because this is the
    hot path of every keystroke: the ORM took longer to compile it than PostgreSQL to run it.
    Expressions match the indexes of migrations 0003-0005 exactly."""
    text = " ".join(query.split())
    upper = text.upper()
    tokens = upper.replace(",", " ").split()
    postgres = connection.vendor == "postgresql"
    collate = 'COLLATE "C"' if postgres else "COLLATE BINARY"
    escape = "" if postgres else " ESCAPE '\\'"
    last_key = f"(UPPER(c.last_name) {collate})"
    first_key = f"(UPPER(c.first_name) {collate})"
    cut = f" LIMIT {int(limit)}" if limit else ""
    branches: list[tuple[str, list]] = []

    def add(where: str, params: list) -> None:
        sql = f"SELECT c.id FROM customers_customer c WHERE {where}"
        branches.append((f"{sql} ORDER BY {last_key}, {first_key}, c.id{cut}", params))

    def add_few(where: str, params: list) -> None:
        """A branch that matches few customers whatever the data: all of them are fetched
        through the branch's own index, then sorted. Left to itself the planner may instead
        walk the name index and test each customer, stopping after a page: fast for a broad
        match, but when its estimate is too high (a ZIP, a phone fragment seen once in the
        statistics sample) it walks most of the million customers (0.5-3 s measured).
        MATERIALIZED keeps the name order out of the CTE, so that walk cannot be chosen."""
        sql = (
            f"WITH hits AS MATERIALIZED (SELECT c.id, {last_key} AS last_key, "
            f"{first_key} AS first_key FROM customers_customer c WHERE {where}) "
            f"SELECT id FROM hits ORDER BY last_key, first_key, id{cut}"
        )
        branches.append((sql, params))

    has_letters = any(ch.isalpha() for ch in text)
    add(f"UPPER(c.logon_id) LIKE %s{escape}", [_like_prefix(upper)])
    if has_letters:
        add(f"{last_key} LIKE %s{escape}", [_like_prefix(upper)])
    if "@" in text or (has_letters and len(tokens) == 1):
        add(f"UPPER(c.email) LIKE %s{escape}", [_like_prefix(upper)])
    if has_letters and "@" not in text:
        if len(tokens) == 1:
            add(f"{first_key} LIKE %s{escape}", [_like_prefix(upper)])
        else:
            first, rest = tokens[0], " ".join(tokens[1:])
            add(
                f"{first_key} LIKE %s{escape} AND {last_key} LIKE %s{escape}",
                [_like_prefix(first), _like_prefix(rest)],
            )
            add(
                f"{last_key} LIKE %s{escape} AND {first_key} LIKE %s{escape}",
                [_like_prefix(first), _like_prefix(tokens[1])],
            )
    digits = digits_only(text)
    if len(digits) >= MIN_PHONE_DIGITS and PHONE_LIKE.match(text):
        phone = add_few if len(digits) >= FEW_MATCHES_LENGTH else add
        phone(f"c.phone_digits LIKE %s{escape}", ["%" + digits + "%"])
    postal = normalize_postal_code(text)
    if 2 <= len(postal) <= 10 and postal.isalnum():
        zip_code = add_few if len(postal) >= FEW_MATCHES_LENGTH else add
        zip_code(
            "c.id IN (SELECT a.customer_id FROM customers_address a "
            f"WHERE a.postal_code_search LIKE %s{escape})",
            [_like_prefix(postal)],
        )
    if len(text) >= 2:
        add(
            "c.organization_id IN (SELECT o.id FROM customers_organization o WHERE "
            f"UPPER(o.account_number) LIKE %s{escape} OR UPPER(o.name) LIKE %s{escape})",
            [_like_prefix(upper), _like_prefix(upper)],
        )
    sql = " UNION ".join(f"SELECT id FROM ({b}) b{i}" for i, (b, _p) in enumerate(branches))
    params = [p for _b, branch_params in branches for p in branch_params]
    return sql, params


def _quick_branches(base: QuerySet, query: str) -> list[QuerySet]:
    """The quick box combined with advanced fields, in the ORM (rarer, not per keystroke)."""
    text = " ".join(query.split())
    upper = text.upper()
    tokens = upper.replace(",", " ").split()
    has_letters = any(ch.isalpha() for ch in text)
    branches = [base.filter(logon_id__istartswith=text)]
    if has_letters:
        branches.append(base.filter(_last_key__startswith=upper))
    if "@" in text or (has_letters and len(tokens) == 1):
        branches.append(base.filter(email__istartswith=text))
    if has_letters and "@" not in text:
        if len(tokens) == 1:
            branches.append(base.filter(_first_key__startswith=upper))
        else:
            first, rest = tokens[0], " ".join(tokens[1:])
            branches.append(base.filter(_first_key__startswith=first, _last_key__startswith=rest))
            branches.append(
                base.filter(_last_key__startswith=first, _first_key__startswith=tokens[1])
            )
    digits = digits_only(text)
    if len(digits) >= MIN_PHONE_DIGITS and PHONE_LIKE.match(text):
        branches.append(base.filter(phone_digits__contains=digits))
    postal = normalize_postal_code(text)
    if 2 <= len(postal) <= 10 and postal.isalnum():
        branches.append(
            base.filter(
                pk__in=Address.objects.filter(postal_code_search__startswith=postal).values(
                    "customer_id"
                )
            )
        )
    if len(text) >= 2:
        branches.append(base.filter(organization__in=_organizations_matching(text)))
    return branches


def find_customers(*, query: str | None = None, limit: int | None = None, **advanced) -> QuerySet:
    """Customers matching the quick box `query` (any field) AND every advanced field given
    (logon_id, first_name, last_name, phone, email, postal_code, account_number, segment,
    is_enabled). Ordered by last name, first name, id (case-insensitive).

    `limit` is the number of rows the caller will read at most (e.g. offset + page size + 1);
    on PostgreSQL each quick-box branch stops there, which keeps broad searches fast. Without
    it the queryset is exact for any slice.
    """
    _check_fields(advanced)
    base = _with_sort_keys(Customer.objects.all())
    advanced_q = _advanced_q(**advanced)
    if advanced_q:
        base = base.filter(advanced_q)
    if advanced.get("segment"):
        base = base.distinct()
    query = (query or "").strip()
    if query and not advanced_q:
        sql, params = _quick_union_sql(query, limit)
        return _with_sort_keys(Customer.objects.filter(pk__in=RawSQL(sql, params))).order_by(*SORT)
    if query:
        slicing = connection.features.supports_slicing_ordering_in_compound and limit
        branches = []
        for branch in _quick_branches(base, query):
            if slicing:
                branches.append(branch.order_by(*SORT).values("pk")[:limit])
            else:
                branches.append(branch.order_by().values("pk"))
        ids = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
        qs = _with_sort_keys(Customer.objects.filter(pk__in=ids))
    else:
        qs = base
    return qs.order_by(*SORT)


RESULT_COLUMNS = (
    "id",
    "logon_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "is_enabled",
    "disabled_reason",
    "organization__account_number",
    "organization__name",
)


def for_result_list(qs: QuerySet) -> QuerySet:
    """Only what a results row shows (the page loader adds segments and the ship-to)."""
    return qs.select_related("organization").only(*RESULT_COLUMNS)


def _decorate(rows: list[Customer]) -> list[Customer]:
    """Attach `segment_names` and `ship_to` (default shipping address) to each row: two small
    queries for the whole page, whatever its size."""
    ids = [row.pk for row in rows]
    if not ids:
        return rows
    segment_names: dict[int, list[str]] = {}
    through = Customer.segments.through
    for customer_id, name in (
        through.objects.filter(customer_id__in=ids)
        .order_by("segment__name")
        .values_list("customer_id", "segment__name")
    ):
        segment_names.setdefault(customer_id, []).append(name)
    ship_to = {
        customer_id: (city, region, postal_code)
        for customer_id, city, region, postal_code in Address.objects.filter(
            customer_id__in=ids, is_default_shipping=True
        ).values_list("customer_id", "city", "region", "postal_code")
    }
    for row in rows:
        row.segment_names = segment_names.get(row.pk, [])
        row.ship_to = " ".join(p for p in ship_to.get(row.pk, ()) if p)
    return rows


def _check_fields(advanced: dict) -> None:
    unknown = set(advanced) - set(ADVANCED_FIELDS)
    if unknown:
        raise TypeError(f"find_customers() got unknown fields: {', '.join(sorted(unknown))}")


# In the model's field order (Model.from_db reads the values in that order).
PAGE_FIELDS = tuple(
    field.attname
    for field in Customer._meta.concrete_fields
    if field.attname
    in {
        "id",
        "logon_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "is_enabled",
        "disabled_reason",
        "organization_id",
    }
)
ENABLED = PAGE_FIELDS.index("is_enabled")
SEGMENT_SEPARATOR = "\x1f"


def _quick_page_rows(query: str, offset: int, count: int) -> list[Customer]:
    """One quick-box results page in ONE query (the hot path of every keystroke): the rows of
    `for_result_list` with their organization, default ship-to and segment names, i.e. what
    `for_result_list` + `_decorate` give in three queries. Hand-written for the same reason as
    `_quick_union_sql`: compiling the ORM querysets cost more than running them."""
    ids_sql, params = _quick_union_sql(query, offset + count)
    postgres = connection.vendor == "postgresql"
    collate = 'COLLATE "C"' if postgres else "COLLATE BINARY"
    segments_from = (
        "FROM customers_customer_segments cs JOIN customers_segment s ON s.id = cs.segment_id "
        "WHERE cs.customer_id = c.id ORDER BY s.name"
    )
    if postgres:
        segments = f"ARRAY(SELECT s.name {segments_from})"
    else:
        segments = f"(SELECT group_concat(name, char(31)) FROM (SELECT s.name {segments_from}))"
    columns = ", ".join(f"c.{name}" for name in PAGE_FIELDS)
    sql = (
        f"SELECT {columns}, o.account_number, o.name, a.city, a.region, a.postal_code, "
        f"{segments} FROM customers_customer c "
        "LEFT JOIN customers_organization o ON o.id = c.organization_id "
        "LEFT JOIN customers_address a ON a.customer_id = c.id AND a.is_default_shipping "
        f"WHERE c.id IN ({ids_sql}) "
        f"ORDER BY (UPPER(c.last_name) {collate}), (UPPER(c.first_name) {collate}), c.id "
        f"LIMIT {int(count)} OFFSET {int(offset)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        records = cursor.fetchall()
    alias = connection.alias
    organization_field = Customer._meta.get_field("organization")
    width = len(PAGE_FIELDS)
    rows = []
    for record in records:
        values = list(record[:width])
        values[ENABLED] = bool(values[ENABLED])  # SQLite gives 0/1 to a raw cursor
        customer = Customer.from_db(alias, PAGE_FIELDS, values)
        account_number, name, city, region, postal_code, names = record[width:]
        organization = None
        if customer.organization_id is not None:
            organization = Organization.from_db(
                alias,
                ("id", "account_number", "name"),
                (customer.organization_id, account_number, name),
            )
        organization_field.set_cached_value(customer, organization)
        if isinstance(names, str):
            names = names.split(SEGMENT_SEPARATOR)
        customer.segment_names = list(names or [])
        customer.ship_to = " ".join(p for p in (city, region, postal_code) if p)
        rows.append(customer)
    return rows


def search_page(*, query: str | None = None, page: int = 1, page_size: int = PAGE_SIZE, **adv):
    """One page of results plus whether there is a next one (no COUNT over a million rows).
    One query for a quick-box search, three with advanced fields, for any page size."""
    page = max(int(page or 1), 1)
    start = (page - 1) * page_size
    _check_fields(adv)
    text = (query or "").strip()
    if text and not _advanced_q(**adv):
        rows = _quick_page_rows(text, start, page_size + 1)
        has_next = len(rows) > page_size
        rows = rows[:page_size]
    else:
        qs = find_customers(query=query, limit=start + page_size + 1, **adv)
        rows = list(for_result_list(qs)[start : start + page_size + 1])
        has_next = len(rows) > page_size
        rows = _decorate(rows[:page_size])
    return {"rows": rows, "page": page, "has_next": has_next, "has_prev": page > 1}


def customer_detail(pk: int) -> Customer | None:
    """The customer page's customer with everything it shows, or None."""
    return (
        Customer.objects.select_related("organization")
        .prefetch_related(
            "segments",
            Prefetch("addresses", queryset=Address.objects.order_by("nickname", "pk")),
            Prefetch(
                "payment_methods",
                queryset=PaymentMethod.objects.select_related("billing_address"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def customer_history(customer: Customer, *, limit: int = 50) -> QuerySet:
    return CustomerEvent.objects.filter(customer=customer).select_related("actor")[:limit]


def customer_notes(customer_id: int, *, pinned_only: bool = False) -> QuerySet[CustomerNote]:
    """The customer's notes, pinned first, newest first, with their authors."""
    notes = CustomerNote.objects.filter(customer_id=customer_id).select_related("author")
    return notes.filter(is_pinned=True) if pinned_only else notes


def credit_account(customer_id: int | None, *, lock: bool = False) -> Organization | None:
    """The business account the customer buys for, when it has a credit limit; else None.

    `lock`: take the account's row lock, so that two orders of one account checked against its
    limit at once (a submit, a change) take turns and each counts the other's total."""
    if customer_id is None:
        return None
    accounts = Organization.objects.filter(members__pk=customer_id, credit_limit__isnull=False)
    if lock:
        accounts = accounts.select_for_update(of=("self",))
    return accounts.first()


def account_member_ids(organization_id: int) -> QuerySet:
    """Ids of the customers who buy for the account, as a subquery."""
    return Customer.objects.filter(organization_id=organization_id).order_by().values("pk")
