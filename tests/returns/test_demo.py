from core.roles import Role
from returns import demo
from returns.models import ReturnPolicy, ReturnReason, ReturnRequest
from tests.conftest import make_staff


def test_demo_returns_one_line_of_a_shipped_order_once(django_user_model, shipped):
    ReturnReason.objects.all().delete()  # as after a flush: the demo brings its reasons
    make_staff(django_user_model, "csr", Role.CSR)
    demo.load(lambda _msg: None)
    demo.load(lambda _msg: None)
    assert ReturnPolicy.objects.filter(pk=1).exists()
    rr = ReturnRequest.objects.get(order=shipped)
    assert rr.status == "approved" and rr.lines.get().quantity == 1


def test_demo_without_a_shipped_order_makes_no_return(db):
    demo.load(lambda _msg: None)
    assert not ReturnRequest.objects.exists()
