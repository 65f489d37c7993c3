"""API of the returns app, under /api/v1/."""

from django.urls import path

from returns import api

urlpatterns: list = [
    path("returns/", api.ReturnListCreate.as_view(), name="return-list"),
    path("returns/reasons/", api.ReasonList.as_view(), name="return-reasons"),
    path(
        "returns/returnable/<int:order_id>/",
        api.ReturnableLines.as_view(),
        name="return-returnable-lines",
    ),
    path("returns/<int:pk>/", api.ReturnDetail.as_view(), name="return-detail"),
    path("returns/<int:pk>/lines/", api.AddLine.as_view(), name="return-add-line"),
    path("returns/<int:pk>/lines/<int:line_id>/", api.LineDetail.as_view(), name="return-line"),
    path(
        "returns/<int:pk>/lines/<int:line_id>/refund/",
        api.AdjustRefund.as_view(),
        name="return-adjust-refund",
    ),
    path(
        "returns/<int:pk>/refund-method/",
        api.SetRefundMethod.as_view(),
        name="return-refund-method",
    ),
    path("returns/<int:pk>/submit/", api.Submit.as_view(), name="return-submit"),
    path("returns/<int:pk>/approve/", api.Approve.as_view(), name="return-approve"),
    path("returns/<int:pk>/deny/", api.Deny.as_view(), name="return-deny"),
    path("returns/<int:pk>/receive/", api.Receive.as_view(), name="return-receive"),
    path("returns/<int:pk>/retry-refund/", api.RetryRefund.as_view(), name="return-retry-refund"),
]
