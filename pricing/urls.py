"""Screens of the pricing app, under /pricing/."""

from django.urls import path

from pricing import views, wallet_views

app_name = "pricing"
urlpatterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/reject/", views.reject, name="reject"),
    path("customers/<int:customer_id>/wallet/", wallet_views.wallet, name="customer_wallet"),
    path(
        "customers/<int:customer_id>/wallet/issue/",
        wallet_views.issue_appeasement,
        name="issue_appeasement",
    ),
]
