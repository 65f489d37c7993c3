"""API of the auctions app, under /api/v1/."""

from django.urls import path

from auctions import api

urlpatterns: list = [
    path("auctions/", api.AuctionListCreate.as_view(), name="auction-list"),
    path("auctions/failed-bids/", api.FailedBids.as_view(), name="auction-failed-bids"),
    path(
        "auctions/customers/<int:customer_id>/bids/",
        api.CustomerBids.as_view(),
        name="auction-customer-bids",
    ),
    path("auctions/<int:pk>/", api.AuctionDetail.as_view(), name="auction-detail"),
    path("auctions/<int:pk>/schedule/", api.Schedule.as_view(), name="auction-schedule"),
    path("auctions/<int:pk>/bids/", api.Bids.as_view(), name="auction-bids"),
    path("auctions/<int:pk>/force-close/", api.ForceClose.as_view(), name="auction-force-close"),
    path("auctions/bids/<int:bid_id>/withdraw/", api.Withdraw.as_view(), name="auction-withdraw"),
    path("auctions/bids/<int:bid_id>/retry/", api.Retry.as_view(), name="auction-retry"),
]
