"""find_catalog_items: codes, names, categories, query counts."""

import pytest
from django.db import connection

from catalog import selectors, services
from tests.catalog.factories import (
    AssociationFactory,
    CategoryFactory,
    KitComponentFactory,
    ProductFactory,
    SKUFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    paper = CategoryFactory(code="paper", name="Paper")
    notebooks = CategoryFactory(code="notebooks", name="Notebooks", parent=paper)
    a5 = CategoryFactory(code="nb-a5", name="A5 notebooks", parent=notebooks)
    pens = CategoryFactory(code="pens", name="Pens")
    black = ProductFactory(code="NB-A5", name="Black Notebook", category=a5)
    SKUFactory(code="NB-BLK-A5", name="Black Notebook A5", product=black)
    SKUFactory(code="NB-BLK-A4", name="Black Notebook A4", product=black)
    SKUFactory(code="NB-BLU-A5", name="Blue Notebook A5", product=black)
    pen = ProductFactory(code="PEN-GEL", name="Gel pen", category=pens)
    SKUFactory(code="PEN-GEL-B", name="Gel pen, blue", product=pen)
    SKUFactory(code="PEN-GEL-K", name="Gel pen, black", product=pen)
    return {"paper": paper, "notebooks": notebooks, "a5": a5, "pens": pens}


def codes(items):
    return [sku.code for sku in items]


def test_exact_code_first_then_prefix(shelf):
    assert codes(selectors.find_catalog_items(query="nb-blk-a5")) == ["NB-BLK-A5"]
    assert codes(selectors.find_catalog_items(query="NB-BLK")) == ["NB-BLK-A4", "NB-BLK-A5"]
    found = codes(selectors.find_catalog_items(query="PEN-GEL"))
    assert found == ["PEN-GEL-B", "PEN-GEL-K"]


def test_a_code_typed_without_its_separators_finds_it_first(shelf):
    assert codes(selectors.find_catalog_items(query="nbblka5")) == ["NB-BLK-A5"]
    assert codes(selectors.find_catalog_items(query="nbblk")) == ["NB-BLK-A4", "NB-BLK-A5"]
    assert codes(selectors.find_catalog_items(query="PEN GEL K"))[0] == "PEN-GEL-K"


def test_the_code_without_separators_is_kept_by_the_database_for_bulk_loads_too(shelf):
    from catalog.models import SKU

    SKU.objects.bulk_create(
        [SKU(code="sn-yel/76x76", name="Notes", product=SKU.objects.first().product)]
    )

    assert SKU.objects.get(code="sn-yel/76x76").code_compact == "SNYEL76X76"


def test_a_code_typed_in_full_finds_its_sku_without_searching_names(
    shelf, django_assert_max_num_queries
):
    SKUFactory(code="GP-1", name="Pen gel b refill")  # a name close to the code's words
    items = selectors.catalog_items_base()
    pen = items.get(code="PEN-GEL-B")

    with django_assert_max_num_queries(1):  # the codes only: no name search after them
        found = selectors.matching_sku_ids(items, "pen-gel-b", limit=8)

    assert found == [pen.pk]


def test_name_substring_case_insensitive(shelf):
    found = codes(selectors.find_catalog_items(query="black notebook"))
    assert set(found) >= {"NB-BLK-A5", "NB-BLK-A4"}
    assert "PEN-GEL-B" not in found


def test_category_filter_takes_the_subtree(shelf):
    found = codes(selectors.find_catalog_items(query="", category=shelf["paper"]))
    assert found == ["NB-BLK-A4", "NB-BLK-A5", "NB-BLU-A5"]
    found = codes(selectors.find_catalog_items(query="black", category=shelf["pens"].pk))
    assert found == ["PEN-GEL-K"]
    assert codes(selectors.find_catalog_items(query="black", category=999_999)) == []


def test_limit(shelf):
    assert len(selectors.find_catalog_items(query="NB", limit=2)) == 2


@pytest.mark.postgres
def test_fuzzy_name_search_on_postgresql(shelf):
    found = codes(selectors.find_catalog_items(query="blak notebok"))
    assert found[:2] == ["NB-BLK-A4", "NB-BLK-A5"]
    assert codes(selectors.find_catalog_items(query="gel pn blak"))[0] == "PEN-GEL-K"


@pytest.mark.postgres
def test_trigram_index_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_sku_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "gin_trgm_ops" in definition


def _rows_and_queries(**kwargs):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        rows = [
            (
                s.code,
                s.is_buyable,
                s.product.category.name,
                [a.target.code for a in s.associations.all()],
                [c.component.code for c in s.components.all()],
            )
            for s in selectors.find_catalog_items(**kwargs)
        ]
    return rows, len(ctx.captured_queries)


def test_results_carry_state_associations_and_kits_in_constant_queries(shelf):
    def add_rows(start, n):
        for i in range(start, start + n):
            old = SKUFactory(
                code=f"NB-OLD-{i}",
                name=f"Old Notebook {i}",
                product=ProductFactory(discontinued=True),
            )
            AssociationFactory(
                source=old, target=SKUFactory(code=f"NB-NEW-{i}"), kind="replacement"
            )
            AssociationFactory(source=old, target=SKUFactory(code=f"CASE-{i}"), kind="accessory")
            KitComponentFactory(kit=SKUFactory(code=f"NB-KIT-{i}", kind="kit"), component=old)

    add_rows(0, 2)
    # code ids, name ids (in a savepoint with SET LOCAL on PostgreSQL), page, associations, kits
    small, few = _rows_and_queries(query="NB-")
    add_rows(2, 8)
    large, many = _rows_and_queries(query="NB-", limit=50)
    assert few == many <= 10
    assert len(large) > len(small)
    old = next(row for row in large if row[0] == "NB-OLD-0")
    assert old[1] is False
    assert old[3] == ["CASE-0", "NB-NEW-0"]  # ordered by kind: accessory, replacement
    kit = next(row for row in large if row[0] == "NB-KIT-0")
    assert kit[1] is False and kit[4] == ["NB-OLD-0"]


def test_buyable_only_hides_the_rest(shelf):
    discontinued = ProductFactory(name="Old Black Notebook", discontinued=True)
    SKUFactory(code="NB-BLK-OLD", name="Old Black Notebook", product=discontinued)
    assert "NB-BLK-OLD" in codes(selectors.find_catalog_items(query="NB-BLK"))
    assert "NB-BLK-OLD" not in codes(
        selectors.find_catalog_items(query="NB-BLK", buyable_only=True)
    )
    services.ensure_buyable(selectors.sku_by_code("nb-blk-a5"))


def test_loaded_relations_behave_like_prefetched_ones(shelf, django_assert_num_queries):
    old = SKUFactory(code="NB-OLD-X", name="Old Notebook X")
    AssociationFactory(source=old, target=SKUFactory(code="NB-NEW-X"), kind="replacement")
    AssociationFactory(source=old, target=SKUFactory(code="CASE-X"), kind="accessory")
    kit = SKUFactory(code="NB-KIT-X", kind="kit")
    KitComponentFactory(kit=kit, component=old)
    rows = {sku.code: sku for sku in selectors.find_catalog_items(query="NB-")}
    with django_assert_num_queries(0):
        links = list(rows["NB-OLD-X"].associations.all())
        assert [a.target.code for a in links] == ["CASE-X", "NB-NEW-X"]
        assert all(a.source is rows["NB-OLD-X"] for a in links)
        assert [c.component.code for c in rows["NB-KIT-X"].components.all()] == ["NB-OLD-X"]
        assert rows["NB-KIT-X"].components.all()[0].kit is rows["NB-KIT-X"]
        assert rows["NB-NEW-X"].associations.count() == 0
    # Chaining queries again, for this SKU only.
    replacement = rows["NB-OLD-X"].associations.filter(kind="replacement")
    assert [a.target.code for a in replacement] == ["NB-NEW-X"]
    assert list(rows["NB-NEW-X"].associations.filter(kind="replacement")) == []
    assert rows["NB-KIT-X"].components.filter(quantity__gte=1).count() == 1


def test_loaded_relations_hold_the_same_values_as_the_orm_gives(shelf):
    def values(obj):
        return [(f.attname, getattr(obj, f.attname)) for f in obj._meta.concrete_fields]

    old = SKUFactory(code="NB-OLD-Y", weight_kg="1.250", product=ProductFactory(discontinued=True))
    AssociationFactory(source=old, target=SKUFactory(code="NB-NEW-Y"), kind="replacement")
    AssociationFactory(source=old, target=old.product.skus.create(code="NB-OLD-Z", name="Z"))
    KitComponentFactory(kit=SKUFactory(code="NB-KIT-Y", kind="kit"), component=old, quantity=2)
    found = list(selectors.find_catalog_items(query="NB-"))
    orm = {
        sku.pk: sku for sku in selectors.catalog_items_base().filter(pk__in=[s.pk for s in found])
    }
    assert any(sku.associations.all() for sku in found)
    assert any(sku.components.all() for sku in found)
    for sku in found:
        expected = orm[sku.pk]
        assert [
            (values(a), values(a.target), values(a.target.product)) for a in sku.associations.all()
        ] == [
            (values(a), values(a.target), values(a.target.product))
            for a in expected.associations.all()
        ]
        assert [(values(c), values(c.component)) for c in sku.components.all()] == [
            (values(c), values(c.component)) for c in expected.components.all()
        ]


@pytest.fixture
def desk_shelf():
    """Products named as the demo's: a notebook and a notebook case (whose code sorts first),
    gel pens, ring binders."""
    paper = CategoryFactory(code="paper", name="Paper")
    notebook = ProductFactory(code="NB", name="Notebook", category=paper)
    SKUFactory(code="NB-BLK-A5", name="Notebook, Black, A5", product=notebook)
    SKUFactory(code="NB-RED-A5", name="Notebook, Red, A5", product=notebook)
    case = ProductFactory(code="CASE", name="Notebook case", category=paper)
    SKUFactory(code="CASE-A5", name="Notebook case, A5", product=case)
    gel = ProductFactory(code="PEN-GEL", name="Gel pen", category=paper)
    SKUFactory(code="PEN-GEL-BLK", name="Gel pen, Black", product=gel)
    SKUFactory(code="PEN-GEL-BLU", name="Gel pen, Blue", product=gel)
    binder = ProductFactory(code="BND", name="Ring binder", category=paper)
    SKUFactory(code="BND-BLK", name="Ring binder, Black", product=binder)
    SKUFactory(code="BND-BLU", name="Ring binder, Blue", product=binder)
    pencil = ProductFactory(code="PCL", name="Pencil", category=paper)
    SKUFactory(code="PCL-HB", name="Pencil, HB", product=pencil)


@pytest.mark.parametrize(
    ("typed", "first", "all_of"),
    [
        ("gell pen", "PEN-GEL-BLK", {"PEN-GEL-BLK", "PEN-GEL-BLU"}),
        ("notebok", "NB-BLK-A5", {"NB-BLK-A5", "NB-RED-A5", "CASE-A5"}),
        ("binder blak", "BND-BLK", {"BND-BLK"}),
    ],
)
def test_misspelled_names_find_the_product_on_any_database(desk_shelf, typed, first, all_of):
    """SQLite (make run's default) as well as PostgreSQL."""
    found = codes(selectors.find_catalog_items(query=typed))
    assert found[0] == first and all_of <= set(found)


def test_the_product_itself_ranks_above_products_named_after_it(desk_shelf):
    found = codes(selectors.find_catalog_items(query="notebok"))
    assert found.index("NB-RED-A5") < found.index("CASE-A5")
    found = codes(selectors.find_catalog_items(query="notebook"))
    assert found.index("NB-RED-A5") < found.index("CASE-A5")


def test_swapped_letters_find_gel_pens(desk_shelf):
    found = codes(selectors.find_catalog_items(query="gel pne"))
    assert found[:2] == ["PEN-GEL-BLK", "PEN-GEL-BLU"]


@pytest.mark.postgres
def test_swapped_letters_find_gel_pens_with_the_trigram_index(desk_shelf):
    test_swapped_letters_find_gel_pens(desk_shelf)
    assert connection.vendor == "postgresql"


def test_fuzzy_scoring():
    from catalog import fuzzy

    assert fuzzy.edit_distance("pne", "pen") == 1
    assert fuzzy.word_score("blak", "black") >= fuzzy.MATCH > fuzzy.word_score("blak", "blue")
    assert fuzzy.word_score("note", "notebook") == fuzzy.PREFIX
    assert fuzzy.alternatives("pne") == ["pne", "npe", "pen"]
