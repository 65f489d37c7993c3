"""API of the customers app, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.api import CustomerAddressViewSet, CustomerViewSet
from customers.api_actions import CustomerActionViewSet

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register("customers", CustomerViewSet, basename="customer")
router.register("customers", CustomerActionViewSet, basename="customer-action")

addresses = CustomerAddressViewSet.as_view({"get": "list", "post": "create"})
address = CustomerAddressViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    *router.urls,
    path(
        "customers/<int:customer_id>/addresses/",
        addresses,
        name="customer-addresses",
    ),
    path(
        "customers/<int:customer_id>/addresses/<int:pk>/",
        address,
        name="customer-address",
    ),
]
