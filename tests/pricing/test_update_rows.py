"""core.bulk.update_rows, which writes a repriced cart's lines and usage amounts: each row gets
its own values back exactly as given (on PostgreSQL they go as one array literal a column)."""

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction

from core.bulk import update_rows
from pricing import models as m
from tests.pricing.factories import PromotionFactory

FIELDS = ["name", "code", "min_amount", "limit_overall", "description"]


@pytest.mark.django_db
def test_each_row_gets_its_values_back_as_given():
    a, b = PromotionFactory(), PromotionFactory()
    update_rows(
        m.Promotion,
        FIELDS,
        [
            (a.pk, 'Say "hi", {twice}', "A\\B", Decimal("12.50"), None, ""),
            (b.pk, "NULL", " x y ", Decimal("0.1"), 7, "line\nbreak"),
        ],
    )
    rows = {pk: tuple(values) for pk, *values in m.Promotion.objects.values_list("pk", *FIELDS)}
    assert rows[a.pk] == ('Say "hi", {twice}', "A\\B", Decimal("12.50"), None, "")
    assert rows[b.pk] == ("NULL", " x y ", Decimal("0.10"), 7, "line\nbreak")


@pytest.mark.django_db
def test_values_of_other_types_are_written_too():
    a = PromotionFactory(is_coupon=False)
    update_rows(m.Promotion, ["is_coupon", "reward"], [(a.pk, True, m.Reward.ORDER_FIXED)])
    a.refresh_from_db()
    assert (a.is_coupon, a.reward) == (True, m.Reward.ORDER_FIXED)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not limit lengths")
def test_a_value_too_long_is_refused_not_cut():
    a = PromotionFactory(code="SHORT")
    with pytest.raises(DataError), transaction.atomic():
        update_rows(m.Promotion, ["code"], [(a.pk, "X" * 41)])
    a.refresh_from_db()
    assert a.code == "SHORT"
