"""API of the fulfillment app, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from fulfillment import api, api_attention, api_releases

urlpatterns: list = [
    path("inventory/", api.InventoryList.as_view(), name="inventory-list"),
    path("inventory/centers/", api.CenterList.as_view(), name="inventory-centers"),
    path("inventory/arrangements/", api.ArrangementList.as_view(), name="inventory-arrangements"),
    path(
        "inventory/adjustments/", api.AdjustmentListCreate.as_view(), name="inventory-adjustments"
    ),
    path("inventory/expected/", api.ExpectedListCreate.as_view(), name="inventory-expected"),
    path(
        "inventory/expected/<int:pk>/receive/",
        api.ReceiveExpected.as_view(),
        name="inventory-expected-receive",
    ),
    path("inventory/availability/", api.AvailabilityView.as_view(), name="inventory-availability"),
    path("releases/", api_releases.ReleaseList.as_view(), name="release-list"),
    path("releases/<int:pk>/", api_releases.ReleaseDetail.as_view(), name="release-detail"),
    path(
        "releases/<int:pk>/shipments/",
        api_releases.ConfirmShipment.as_view(),
        name="release-confirm-shipment",
    ),
    path("shipments/", api_releases.ShipmentList.as_view(), name="shipment-list"),
    path(
        "shipments/<int:pk>/capture/",
        api_releases.RetryCapture.as_view(),
        name="shipment-retry-capture",
    ),
]

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register(
    "payment-attention", api_attention.PaymentAttentionViewSet, basename="payment-attention"
)
urlpatterns += router.urls
