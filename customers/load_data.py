"""Benchmark volumes of customers: `manage.py generate_load_data --customers N`.

PostgreSQL: ids are reserved from the sequence and rows streamed with COPY (psycopg 3), in
batches of BATCH customers, each batch one transaction; VACUUM ANALYZE at the end so the
planner knows the new sizes and the trigram index's pending list is merged. Elsewhere:
batched bulk_create. Every customer gets 1-3 addresses in Canada or the US, a unique logon ID
and e-mail, and a phone number; all share one unusable password hash (hashing a million
passwords would take hours and proves nothing about search).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core.app_data import Volume
from customers.models import Address, Customer, digits_only, normalize_postal_code

BATCH = 50_000


def _words(text: str) -> list[str]:
    return text.split()


COMMON_LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Tremblay Gagnon "
    "Roy Cote Bouchard Gauthier Morin Lavoie Fortin Gagne Ouellet Pelletier Belanger Leblanc "
    "Chen Wang Li Zhang Liu Singh Patel Kumar Sharma Kim Park Choi Okafor Mensah Haddad Rossi "
    "Russo Ferrari Esposito Bianchi Romano Colombo Muller Schmidt Schneider Fischer Weber Meyer"
)
FIRST = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy "
    "Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
    "Kathleen "
    "Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma "
    "Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander "
    "Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather "
    "Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia Douglas Victoria "
    "Zachary Kelly Peter Lauren Kyle Christina Noah Joan Ethan Evelyn Jeremy Judith Walter Megan "
    "Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Austin Martha Sean Gloria Gerald "
    "Teresa Carl Ann Harold Sara Dylan Madison Arthur Frances Lawrence Kathryn Jordan Janice Jesse "
    "Jean Bryan Abigail Billy Alice Bruce Judy Gabriel Sophia Joe Grace Logan Denise Alan Amber "
    "Juan Doris Albert Marilyn Willie Danielle Elijah Beverly Wayne Isabella Randy Theresa Vincent "
    "Diana Mason Natalie Roy Brittany Ralph Charlotte Bobby Marie Russell Kayla Bradley Alexis "
    "Philip Lori Eugene Jane Priya Wei Mei Hiroshi Yuki Amara Kwame Fatima Omar Lucia Mateo"
)
SYLLABLES = _words(
    "al an ar be ber bo ca car da del den do el er fa fer gan gar ha har hol in ka kel ken "
    "la lan ler li lo ma mar mer mo na nel nor o pa per ra ran ri ro sa san sen so ta ter "
    "ton tor va ven vi wa win ya zer"
)
DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")
STREETS = (
    "King St W",
    "Queen St E",
    "Yonge St",
    "Bloor St W",
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Rd",
    "Elm St",
    "Park Ave",
    "Rue Sainte-Catherine",
    "Broadway",
    "Pine St",
    "Lakeshore Blvd",
)
CA_CITIES = (
    ("Toronto", "ON", "M", "416"),
    ("Ottawa", "ON", "K", "613"),
    ("Montreal", "QC", "H", "514"),
    ("Vancouver", "BC", "V", "604"),
    ("Calgary", "AB", "T", "403"),
    ("Halifax", "NS", "B", "902"),
    ("Winnipeg", "MB", "R", "204"),
)
US_CITIES = (
    ("New York", "NY", "100", "212"),
    ("Los Angeles", "CA", "900", "213"),
    ("Chicago", "IL", "606", "312"),
    ("Seattle", "WA", "981", "206"),
    ("Boston", "MA", "021", "617"),
    ("Austin", "TX", "787", "512"),
    ("Miami", "FL", "331", "305"),
)
NICKNAMES = ("Home", "Work", "Cottage")
LETTERS = "ABCEGHJKLMNPRSTVXY"


def _last_names(rng: random.Random) -> list[str]:
    """About 2,100 surnames: common ones plus invented ones, so prefixes spread like real data."""
    invented = set()
    while len(invented) < 2000:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
        invented.add(word.capitalize())
    return COMMON_LAST + sorted(invented)


def _postal(rng: random.Random, country: str, prefix: str) -> str:
    if country == "CA":
        return (
            f"{prefix}{rng.randint(0, 9)}{rng.choice(LETTERS)} "
            f"{rng.randint(0, 9)}{rng.choice(LETTERS)}{rng.randint(0, 9)}"
        )
    return f"{prefix}{rng.randint(0, 99):02d}"


def _rows(
    start_id: int, count: int, rng: random.Random, last_names: list[str], password: str
) -> Iterator[tuple[tuple, list[tuple]]]:
    """(customer row, [address rows]) in COPY column order."""
    now = timezone.now()
    weights_common = len(COMMON_LAST)
    for offset in range(count):
        pk = start_id + offset
        first = rng.choice(FIRST)
        # Common surnames are ten times as frequent as invented ones, as in real directories.
        if rng.random() < 0.35:
            last = last_names[rng.randrange(weights_common)]
        else:
            last = last_names[rng.randrange(len(last_names))]
        logon = f"{first.lower()}.{last.lower()}{pk}"
        email = f"{logon}@{rng.choice(DOMAINS)}"
        canadian = rng.random() < 0.6
        city, region, prefix, area = rng.choice(CA_CITIES if canadian else US_CITIES)
        phone = f"+1{area}{rng.randint(2000000, 9999999)}"
        customer = (
            pk,
            logon,
            password,
            False,
            first,
            last,
            email,
            phone,
            digits_only(phone),
            settings.STORE_CURRENCY,  # the store prices in one currency
            "en",
            "",
            "",
            "",
            None,
            "",
            None,
            True,
            "",
            now,
            now,
        )
        addresses = []
        for n in range(rng.choice((1, 1, 2, 2, 3))):
            if n:  # later addresses may be anywhere in North America
                canadian = rng.random() < 0.6
                city, region, prefix, _area = rng.choice(CA_CITIES if canadian else US_CITIES)
            postal = _postal(rng, "CA" if canadian else "US", prefix)
            addresses.append(
                (
                    pk,
                    NICKNAMES[n],
                    first,
                    last,
                    f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
                    "",
                    city,
                    region,
                    postal,
                    normalize_postal_code(postal),
                    "CA" if canadian else "US",
                    "",
                    n == 0,
                    n == 0,
                )
            )
        yield customer, addresses


CUSTOMER_COLUMNS = (
    "id, logon_id, password, must_change_password, first_name, last_name, email, phone, "
    "phone_digits, preferred_currency, preferred_language, challenge_question, challenge_answer, "
    "gender, date_of_birth, income_band, organization_id, is_enabled, disabled_reason, "
    "created_at, modified_at"
)
ADDRESS_COLUMNS = (
    "customer_id, nickname, first_name, last_name, line1, line2, city, region, postal_code, "
    "postal_code_search, country, phone, is_default_billing, is_default_shipping"
)


def generate_customers(
    count: int, progress: Callable[[int], None] | None = None, *, seed: int | None = None
) -> int:
    """Add `count` customers (1-3 addresses each); returns how many were added."""
    progress = progress or (lambda done: None)
    rng = random.Random(seed)
    last_names = _last_names(random.Random(7))
    password = make_password(None)  # unusable: generated customers cannot log in
    if connection.vendor == "postgresql":
        _generate_postgres(count, progress, rng, last_names, password)
    else:
        _generate_bulk(count, progress, rng, last_names, password)
    return count


def _reserve_ids(cursor, count: int) -> int:
    cursor.execute("SELECT pg_get_serial_sequence('customers_customer', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute("LOCK TABLE customers_customer IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(
        "SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM customers_customer), "
        f"(SELECT last_value FROM {sequence}))"
    )
    start = cursor.fetchone()[0] + 1
    cursor.execute("SELECT setval(%s, %s)", [sequence, start + count - 1])
    return start


def _generate_postgres(count, progress, rng, last_names, password) -> None:
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic(), connection.cursor() as cursor:
            start = _reserve_ids(cursor, size)
            rows = list(_rows(start, size, rng, last_names, password))
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY customers_customer ({CUSTOMER_COLUMNS}) FROM STDIN") as copy:
                for customer, _addresses in rows:
                    copy.write_row(customer)
            with raw.copy(f"COPY customers_address ({ADDRESS_COLUMNS}) FROM STDIN") as copy:
                for _customer, addresses in rows:
                    for address in addresses:
                        copy.write_row(address)
        done += size
        progress(done)
    if connection.in_atomic_block:  # VACUUM cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list('customer_phone_digits_trgm')")
            cursor.execute("ANALYZE customers_customer")
            cursor.execute("ANALYZE customers_address")
        return
    with connection.cursor() as cursor:
        # VACUUM also moves the rows COPY left in the trigram index's pending list into the
        # index proper; without it phone-fragment searches scan that list linearly.
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE customers_address")


def _generate_bulk(count, progress, rng, last_names, password) -> None:
    customer_fields = [f.strip() for f in CUSTOMER_COLUMNS.split(",")]
    address_fields = [f.strip() for f in ADDRESS_COLUMNS.split(",")]
    done = 0
    batch = 2_000
    start = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    while done < count:
        size = min(batch, count - done)
        rows = list(_rows(start + done, size, rng, last_names, password))
        with transaction.atomic():
            Customer.objects.bulk_create(
                [Customer(**dict(zip(customer_fields, c, strict=True))) for c, _ in rows]
            )
            Address.objects.bulk_create(
                [
                    Address(**dict(zip(address_fields, a, strict=True)))
                    for _, addresses in rows
                    for a in addresses
                ]
            )
        done += size
        progress(done)


VOLUME = Volume(option="customers", label="customers", generate=generate_customers)
