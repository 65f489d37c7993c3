"""Screens of the auctions app, under /auctions/."""

from django.urls import path

from auctions import views

app_name = "auctions"
urlpatterns: list = [
    path("", views.auction_list, name="list"),
    path("failed/", views.failed, name="failed"),
    path("anomalies/", views.anomaly_queue, name="anomalies"),
    path("anomalies/<int:flag_id>/clear/", views.clear_flag, name="clear_flag"),
    path("customer/<int:customer_id>/", views.customer_bids, name="customer_bids"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/bid/", views.place_bid, name="place_bid"),
    path("<int:pk>/force-close/", views.force_close, name="force_close"),
    path("bids/<int:bid_id>/withdraw/", views.withdraw, name="withdraw"),
    path("bids/<int:bid_id>/retry/", views.retry, name="retry"),
]
