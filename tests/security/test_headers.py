"""Headers and exposure: a Content-Security-Policy with no inline script or style left on any
desk screen, 401 for an anonymous API call, and /healthz details for operations only."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from core.roles import Role

pytestmark = pytest.mark.django_db

INLINE = [
    ("an inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("an inline <style>", re.compile(r"<style[\s>]", re.I)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("an inline event handler", re.compile(r"\son[a-z]+\s*=", re.I)),
]


@pytest.fixture
def everyone(django_user_model):
    """One user holding every staff role, so every screen opens."""
    user = django_user_model.objects.create_user(
        username="all-roles", password="pw-all-roles", is_staff=True
    )
    user.groups.add(*Group.objects.filter(name__in=[r.value for r in Role]))
    return user


def _desk_screens() -> list[str]:
    from catalog.models import SKU
    from customers.models import Customer
    from fulfillment.models import Release
    from orders.models import Order

    customer = Customer.objects.order_by("pk").first()
    cart = Order.objects.filter(status="pending").order_by("pk").first()
    screens = [
        "/",
        "/security/",
        "/customers/",
        "/customers/new/",
        f"/customers/{customer.pk}/",
        "/catalog/",
        f"/catalog/sku/{SKU.objects.order_by('pk').first().code}/",
        "/orders/find/",
        f"/orders/{cart.pk}/",
        f"/orders/{cart.pk}/review/",
        "/pricing/approvals/",
        "/fulfillment/",
        "/fulfillment/ops/",
        "/fulfillment/manifest/",
        "/fulfillment/pick/",
        "/fulfillment/attention/",
        "/admin/pricing/promotion/preview/",
    ]
    release = Release.objects.order_by("pk").first()
    if release is not None:
        screens += [
            f"/fulfillment/releases/{release.pk}/",
            f"/fulfillment/releases/{release.pk}/pick-ticket/",
            f"/fulfillment/releases/{release.pk}/pack-slip/",
        ]
    return screens


def test_every_desk_screen_has_the_policy_and_no_inline_script_or_style(everyone):
    call_command("load_demo_data", verbosity=0)
    client = Client()
    client.force_login(everyone)
    new_order = client.get("/orders/new/guest/", follow=True)
    pages = {"/orders/new/guest/": new_order, "/login/": Client().get("/login/")}
    for url in _desk_screens():
        pages[url] = client.get(url)
    for url, response in pages.items():
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        html = response.content.decode()
        for what, pattern in INLINE:
            found = pattern.search(html)
            assert found is None, f"{url} has {what}: {found and found.group(0)}"


def test_the_api_docs_page_runs_under_the_policy(csr_client):
    response = csr_client.get("/api/docs/")
    assert response.status_code == 200
    assert INLINE[0][1].search(response.content.decode()) is None


def test_an_anonymous_api_request_is_401_with_www_authenticate(api_client):
    response = api_client.get("/api/v1/carts/1/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"message", "code", "fields"}


def test_healthz_tells_an_anonymous_caller_only_up_or_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_healthz_gives_the_details_to_operations(client, operations):
    client.force_login(operations)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and "redis" in body


def test_healthz_gives_no_details_to_a_csr(csr_client):
    assert csr_client.get("/healthz").json() == {"status": "ok"}
