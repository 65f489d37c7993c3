import pytest

from customers.selectors import find_customers, search_page
from tests.customers.factories import (
    AddressFactory,
    CustomerFactory,
    OrganizationFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    acme = OrganizationFactory(account_number="ACC-77031", name="Acme Paper")
    jane = CustomerFactory(
        logon_id="JRoe77",
        first_name="Jane",
        last_name="Roe",
        email="Jane.Roe@Example.com",
        phone="+15550102233",
        organization=acme,
    )
    AddressFactory(customer=jane, postal_code="M5V 2T6")
    john = CustomerFactory(
        logon_id="jsmith",
        first_name="John",
        last_name="Smith",
        email="john@smith.example",
        phone="+14165550199",
    )
    AddressFactory(customer=john, postal_code="90210", country="US", region="CA")
    smythe = CustomerFactory(
        logon_id="asmythe", first_name="Anna", last_name="Smythe", email="anna@ex.org", phone=""
    )
    return {"jane": jane, "john": john, "smythe": smythe}


def found(**kwargs):
    return {c.logon_id for c in find_customers(**kwargs)}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("jro", {"JRoe77"}),  # logon ID prefix, case-insensitive
        ("JSMI", {"jsmith"}),
        ("ja", {"JRoe77"}),  # first name
        ("ANN", {"asmythe"}),
        ("sm", {"jsmith", "asmythe"}),  # last name prefix
        ("SMITH", {"jsmith"}),
        ("jane.r", {"JRoe77"}),  # e-mail prefix
        ("JOHN@SMITH", {"jsmith"}),
        ("m5v", {"JRoe77"}),  # postal code prefix
        ("M5V 2T6", {"JRoe77"}),
        ("m5v2t", {"JRoe77"}),
        ("9021", {"jsmith"}),  # ZIP prefix
        ("acc-770", {"JRoe77"}),  # account number
        ("acme", {"JRoe77"}),  # organization name
        ("(555) 010-2233", {"JRoe77"}),  # phone, any formatting
        ("5550102233", {"JRoe77"}),
        ("+1 555 010 2233", {"JRoe77"}),
        ("0102233", {"JRoe77"}),  # a fragment
        ("555-0199", {"jsmith"}),
        ("jane roe", {"JRoe77"}),  # first + last
        ("Roe, Jane", {"JRoe77"}),  # last, first
        ("zzz", set()),
    ],
)
def test_quick_box_matches_every_field_partially_ignoring_case(people, query, expected):
    assert found(query=query) == expected


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("logon_id", "JR", {"JRoe77"}),
        ("first_name", "jo", {"jsmith"}),
        ("last_name", "SM", {"jsmith", "asmythe"}),
        ("email", "JANE.", {"JRoe77"}),
        ("phone", "(416) 555", {"jsmith"}),
        ("phone", "0102233", {"JRoe77"}),
        ("postal_code", "m5v 2", {"JRoe77"}),
        ("account_number", "acc-7", {"JRoe77"}),
    ],
)
def test_advanced_fields_are_partial_and_case_insensitive(people, field, value, expected):
    assert found(**{field: value}) == expected


def test_quick_box_and_advanced_fields_combine(people):
    assert found(query="sm", first_name="ann") == {"asmythe"}
    assert found(query="sm", is_enabled=False) == set()


def test_segment_filter(people):
    gold = SegmentFactory(code="gold", name="Gold")
    people["john"].segments.add(gold)
    assert found(segment="gold") == {"jsmith"}
    assert found(query="s", segment=gold.pk) == {"jsmith"}


def test_results_are_ordered_by_name_ignoring_case(people):
    CustomerFactory(logon_id="lower", first_name="amy", last_name="smith")
    names = [(c.last_name, c.first_name) for c in find_customers(query="smi")]
    assert names == [("smith", "amy"), ("Smith", "John")] or names == [
        ("Smith", "John"),
        ("smith", "amy"),
    ]
    assert [c.last_name.upper() for c in find_customers(query="sm")] == [
        "SMITH",
        "SMITH",
        "SMYTHE",
    ]


def test_unknown_advanced_field_is_an_error():
    with pytest.raises(TypeError):
        find_customers(nickname="x")


@pytest.mark.parametrize("count", [3, 30])
def test_a_results_page_costs_the_same_queries_whatever_its_size(
    count, django_assert_max_num_queries
):
    gold = SegmentFactory(code="gold", name="Gold")
    for i in range(count):
        customer = CustomerFactory(last_name=f"Page{i:03d}")
        customer.segments.add(gold)
        AddressFactory(customer=customer, is_default_billing=True, is_default_shipping=True)
    with django_assert_max_num_queries(1):  # quick box: one query for the whole page
        page = search_page(query="page")
        for row in page["rows"]:
            assert row.segment_names == ["Gold"]
            assert "Toronto" in row.ship_to
            _ = row.organization
    assert len(page["rows"]) == min(count, 25)
    assert page["has_next"] is (count > 25)


def test_paging(people):
    for i in range(30):
        CustomerFactory(last_name=f"Zed{i:02d}")
    first = search_page(query="zed", page=1)
    second = search_page(query="zed", page=2)
    assert len(first["rows"]) == 25 and first["has_next"]
    assert len(second["rows"]) == 5 and not second["has_next"]
    assert {c.pk for c in first["rows"]}.isdisjoint({c.pk for c in second["rows"]})


def test_the_one_query_quick_page_shows_what_the_orm_page_shows(people):
    from customers.selectors import _decorate, _quick_page_rows, for_result_list

    gold = SegmentFactory(code="gold", name="Gold")
    bronze = SegmentFactory(code="bronze", name="Bronze")
    people["john"].segments.add(gold, bronze)
    people["jane"].segments.add(gold)
    AddressFactory(customer=people["john"], nickname="ship", is_default_shipping=True)
    for text in ("s", "j", "roe", "90210"):
        quick = _quick_page_rows(text, 0, 26)
        orm = _decorate(list(for_result_list(find_customers(query=text))[:26]))
        assert quick, text
        assert [c.pk for c in quick] == [c.pk for c in orm]
        for a, b in zip(quick, orm, strict=True):
            assert (a.segment_names, a.ship_to, a.organization) == (
                b.segment_names,
                b.ship_to,
                b.organization,
            )
            assert (a.logon_id, a.email, a.phone_display, a.is_enabled, a.disabled_reason) == (
                b.logon_id,
                b.email,
                b.phone_display,
                b.is_enabled,
                b.disabled_reason,
            )
    assert [c.segment_names for c in _quick_page_rows("jsmith", 0, 26)] == [["Bronze", "Gold"]]


@pytest.mark.parametrize("text", ["60614", "(312) 77"])  # a whole ZIP; five phone digits
def test_a_few_matches_branch_pages_in_name_order(text):
    """Whole ZIPs and phone fragments of five digits or more are fetched whole, then sorted:
    the page must still be the first ones by name, and the next page the rest."""
    names = [f"Zip{i:02d}" for i in range(30)]
    for i, name in enumerate(reversed(names)):  # created in the reverse of name order
        customer = CustomerFactory(last_name=name, phone=f"+1312770{i:04d}")
        AddressFactory(customer=customer, postal_code="60614", country="US", region="IL")
    CustomerFactory(last_name="Other", phone="+13125550000")
    first = search_page(query=text, page=1)
    second = search_page(query=text, page=2)
    assert [c.last_name for c in first["rows"]] == names[:25] and first["has_next"]
    assert [c.last_name for c in second["rows"]] == names[25:] and not second["has_next"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("text", "matching"), [("60614", "postal_code_search"), ("3127701", "phone_digits")]
)
def test_a_few_matches_branch_cannot_walk_the_name_index(text, matching, monkeypatch):
    """A whole ZIP or a long phone fragment must not be answered by walking every customer in
    name order and testing each (seconds on a million customers when the planner's estimate
    is off). Sorting is priced out here so that the planner would walk if it could."""
    from django.db import connection, transaction

    from customers import selectors

    customer = CustomerFactory(phone="+13127701234")
    AddressFactory(customer=customer, postal_code="60614", country="US", region="IL")

    def plan() -> str:
        sql, params = selectors._quick_union_sql(text, 26)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    def walks(plan_text: str) -> bool:
        lines = plan_text.splitlines()
        return any(
            "customer_name_sort" in line and matching in " ".join(lines[i : i + 4])
            for i, line in enumerate(lines)
        )

    assert not walks(plan())
    monkeypatch.setattr(selectors, "FEW_MATCHES_LENGTH", 99)  # the branch as any other
    assert walks(plan())
