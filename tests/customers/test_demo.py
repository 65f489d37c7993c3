import pytest

from customers import demo
from customers.models import Customer, Organization, PaymentMethod, Segment

pytestmark = pytest.mark.django_db


def test_demo_data_is_about_200_customers_and_idempotent():
    demo.load(lambda line: None)
    assert Customer.objects.count() == demo.COUNT
    assert set(Segment.objects.values_list("name", flat=True)) == {"Gold", "Silver", "Employees"}
    assert Organization.objects.count() == 2
    assert Organization.objects.filter(members__isnull=False).exists()
    maple_leaf = Organization.objects.get(account_number="ACC-10001")
    assert maple_leaf.credit_limit == 500 and maple_leaf.members.filter(logon_id="pat.buyer")
    for segment in Segment.objects.all():
        assert segment.customers.exists()
    assert PaymentMethod.objects.filter(gateway_token__startswith="sbx_approve_").count() >= 40
    assert set(Customer.objects.values_list("addresses__country", flat=True)) == {"CA", "US"}
    assert Customer.objects.filter(is_enabled=False).exists()
    jane = Customer.objects.get(logon_id="jane.roe")
    assert jane.phone == "+15550102233" and jane.addresses.filter(is_default_shipping=True)
    demo.load(lambda line: None)
    assert Customer.objects.count() == demo.COUNT
