"""generate_skus for `manage.py generate_load_data --skus M` (COPY on PostgreSQL)."""

import pytest
from django.core.management import call_command

from catalog import load_data
from catalog.models import SKU, Product
from catalog.selectors import find_catalog_items

pytestmark = pytest.mark.django_db


def test_generate_skus_adds_the_count_with_progress_and_adds_again():
    seen = []
    assert load_data.generate_skus(45, seen.append, seed=1) == 45
    assert SKU.objects.count() == 45
    assert Product.objects.count() == 3  # 20 SKUs per product
    assert seen[-1] == 45
    assert load_data.generate_skus(10, seed=2) == 10  # a second run adds, with fresh codes
    assert SKU.objects.count() == 55
    assert SKU.objects.filter(code__startswith="LD2-").count() == 10
    sku = SKU.objects.order_by("pk").first()
    assert find_catalog_items(query=sku.code)[0] == sku
    assert SKU.objects.buyable().exists()


def test_command(capsys):
    call_command("generate_load_data", skus=25)
    assert SKU.objects.count() == 25
