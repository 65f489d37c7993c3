"""The buyable rule, ensure_buyable, the category tree and SKU generation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import selectors, services
from catalog.models import SKU, Category, ProductState, SKUAttributeValue
from core.errors import DomainError, NotAllowed
from tests.catalog.factories import (
    CategoryFactory,
    KitComponentFactory,
    ProductFactory,
    SKUFactory,
    add_axis,
)

pytestmark = pytest.mark.django_db


# --- buyable --------------------------------------------------------------------------------


def test_only_buyable_skus_are_offered():
    ok = SKUFactory(code="OK-1")
    discontinued = SKUFactory(code="OLD-1", product=ProductFactory(discontinued=True))
    withdrawn = SKUFactory(code="GONE-1", product=ProductFactory(withdrawn=True))
    announced = SKUFactory(code="SOON-1", product=ProductFactory(announced=True))
    inactive = SKUFactory(code="OFF-1", is_active=False)
    undated = SKUFactory(code="NODATE-1", product=ProductFactory(available_from=None))

    assert list(selectors.buyable_skus()) == [ok]
    assert ok.is_buyable
    for sku in (discontinued, withdrawn, announced, inactive, undated):
        assert not sku.is_buyable
    annotated = {s.code: s.is_buyable for s in SKU.objects.with_buyable()}
    assert annotated == {s.code: s.code == "OK-1" for s in SKU.objects.all()}
    found = selectors.find_catalog_items(query="", category=None, buyable_only=True)
    assert list(found) == []  # no query, no category: nothing
    codes = [s.code for s in selectors.find_catalog_items(query="o", buyable_only=True)]
    assert codes == ["OK-1"]


def test_scheduled_dates_take_effect_without_a_save():
    product = ProductFactory(discontinued_at=timezone.now() + timedelta(days=2))
    sku = SKUFactory(product=product)
    assert sku.is_buyable
    later = timezone.now() + timedelta(days=3)
    assert not SKU.objects.buyable(later).filter(pk=sku.pk).exists()
    with pytest.raises(DomainError, match="discontinued since"):
        services.ensure_buyable(sku, now=later)


def test_state_follows_dates():
    product = ProductFactory(announced=True)
    assert product.state == ProductState.ANNOUNCED
    product.available_from = timezone.now() - timedelta(days=1)
    product.save()
    assert product.state == ProductState.AVAILABLE
    services.product_discontinue(product=product)
    product.refresh_from_db()
    assert product.state == ProductState.DISCONTINUED


def test_ensure_buyable_refuses_with_a_clear_message_and_replacement():
    new = SKUFactory(code="NB-NEW-A5", name="Notebook, new")
    old = SKUFactory(code="NB-OLD-A5", name="Notebook, old")
    services.product_discontinue(product=old.product, replacement=new)
    services.ensure_buyable(new)  # no error
    with pytest.raises(DomainError) as caught:
        services.ensure_buyable(old)
    message = caught.value.message
    assert message.startswith("NB-OLD-A5 (Notebook, old) is discontinued since")
    assert "replacement: NB-NEW-A5 (Notebook, new)" in message
    assert caught.value.field == "sku"


@pytest.mark.parametrize(
    ("traits", "words"),
    [
        ({"withdrawn": True}, "was withdrawn on"),
        ({"announced": True}, "is announced but available from"),
        ({"available_from": None}, "not available yet"),
    ],
)
def test_ensure_buyable_messages(traits, words):
    sku = SKUFactory(product=ProductFactory(**traits))
    with pytest.raises(DomainError, match=words):
        services.ensure_buyable(sku)


def test_kit_is_buyable_only_when_every_component_is():
    part = KitComponentFactory(quantity=2)
    kit = part.kit
    assert kit.is_buyable
    part.component.product.discontinued_at = timezone.now() - timedelta(hours=1)
    part.component.product.save()
    assert not SKU.objects.get(pk=kit.pk).is_buyable
    with pytest.raises(DomainError, match="kit with a part"):
        services.ensure_buyable(kit)


# --- category tree ------------------------------------------------------------------------


def test_category_paths_subtree_and_ancestors():
    root = CategoryFactory(code="paper")
    mid = CategoryFactory(code="notebooks", parent=root)
    leaf = CategoryFactory(code="a5", parent=mid)
    other = CategoryFactory(code="pens")
    assert leaf.path == f"/{root.pk}/{mid.pk}/{leaf.pk}/"
    assert leaf.depth == 2
    assert selectors.category_ancestor_ids(leaf.pk) == [root.pk, mid.pk, leaf.pk]
    assert selectors.category_ancestor_ids(999_999) == []
    assert set(selectors.category_subtree_ids(root.pk)) == {root.pk, mid.pk, leaf.pk}

    # moving a branch rewrites the paths of its whole subtree
    mid.parent = other
    mid.save()
    leaf.refresh_from_db()
    assert leaf.path == f"/{other.pk}/{mid.pk}/{leaf.pk}/"
    assert selectors.category_ancestor_ids(leaf.pk) == [other.pk, mid.pk, leaf.pk]
    assert set(selectors.category_subtree_ids(root.pk)) == {root.pk}


def test_category_cannot_move_inside_itself():
    root = CategoryFactory(code="root")
    child = CategoryFactory(code="child", parent=root)
    root.parent = child
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        root.full_clean()
    with pytest.raises(ValidationError):
        root.save()
    assert Category.objects.get(pk=root.pk).parent_id is None


# --- SKU generation ---------------------------------------------------------------------------


def test_generation_covers_every_combination_exactly_once(store_admin):
    product = ProductFactory(code="NB", name="Notebook")
    add_axis(product, "colour", ["Black", "Blue", "Red"], position=0)
    add_axis(product, "size", ["A4", "A5"], position=1)
    add_axis(product, "ruling", ["Lined", "Dotted"], position=2)

    created = services.generate_skus(product=product, actor=store_admin)
    assert len(created) == 3 * 2 * 2
    combos = {}
    for sku in product.skus.all():
        values = SKUAttributeValue.objects.filter(sku=sku).select_related("value", "attribute")
        combos[sku.code] = frozenset((v.attribute.code, v.value.value) for v in values)
    assert len(set(combos.values())) == 12  # all different
    assert all(len(c) == 3 for c in combos.values())  # each names one value per attribute
    assert "NB-BLACK-A5-DOTTED" in combos
    assert product.skus.get(code="NB-BLACK-A5-DOTTED").name == "Notebook, Black, A5, Dotted"

    # re-running adds nothing; a new value adds only the missing combinations
    assert services.generate_skus(product=product, actor=store_admin) == []
    add_axis_value = product.axes.get(attribute__code="colour")
    from tests.catalog.factories import AttributeValueFactory

    add_axis_value.values.add(
        AttributeValueFactory(attribute=add_axis_value.attribute, value="Green")
    )
    again = services.generate_skus(product=product, actor=store_admin)
    assert len(again) == 4
    assert product.skus.count() == 16
    assert product.events.count() == 2


def test_generation_needs_rights_and_attributes(csr, store_admin):
    product = ProductFactory()
    with pytest.raises(NotAllowed):
        services.generate_skus(product=product, actor=csr)
    with pytest.raises(DomainError, match="no defining attributes"):
        services.generate_skus(product=product, actor=store_admin)


def test_demo_catalog_is_idempotent_and_has_what_pricing_needs():
    from catalog import demo

    demo.load(lambda line: None)
    count = SKU.objects.count()
    assert 250 <= count <= 350
    demo.load(lambda line: None)
    assert SKU.objects.count() == count
    assert SKU.objects.get(code="NB-BLK-A5").is_buyable
    assert SKU.objects.get(code="CASE-A5").is_buyable
    assert SKU.objects.get(code="KIT-STUDENT").components.count() == 5
    old = SKU.objects.get(code="NB24-BLK-A5")
    assert not old.is_buyable
    assert old.associations.get(kind="replacement").target.code == "NB-BLK-A5"
    assert Category.objects.filter(depth=2).exists()
    assert not Category.objects.filter(depth__gt=2).exists()


def test_refresh_product_states_follows_passed_dates():
    product = ProductFactory(discontinued_at=timezone.now() + timedelta(days=1))
    assert product.state == ProductState.AVAILABLE
    later = timezone.now() + timedelta(days=2)
    assert services.refresh_product_states(now=later) == 1
    product.refresh_from_db()
    assert product.state == ProductState.DISCONTINUED
    assert services.refresh_product_states(now=later) == 0
    from catalog.tasks import refresh_product_states

    assert refresh_product_states.delay().get() == 1  # today it is still available
    product.refresh_from_db()
    assert product.state == ProductState.AVAILABLE
