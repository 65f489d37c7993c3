"""Screens of the returns app, under /returns/."""

from django.urls import path

from returns import views

app_name = "returns"
urlpatterns: list = [
    path("", views.find, name="find"),
    path("new/order/", views.start_from_order, name="start_from_order"),
    path("new/guest/", views.start_for_guest, name="start_for_guest"),
    path("new/customer/<int:customer_id>/", views.start_for_customer, name="start_for_customer"),
    path("order/<int:order_id>/", views.order_returns, name="order_returns"),
    path("customer/<int:customer_id>/", views.customer_returns, name="customer_returns"),
    path("queue/", views.queue, name="queue"),
    path("receiving/", views.receiving_screen, name="receiving"),
    path("refund-attention/", views.refund_attention, name="refund_attention"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/lines/order/", views.add_order_lines, name="add_order_lines"),
    path("<int:pk>/lines/catalog/", views.add_catalog_item, name="add_catalog_item"),
    path("<int:pk>/lines/adhoc/", views.add_adhoc_item, name="add_adhoc_item"),
    path("<int:pk>/lines/<int:line_id>/remove/", views.remove_line, name="remove_line"),
    path("<int:pk>/lines/<int:line_id>/refund/", views.adjust_refund, name="adjust_refund"),
    path("<int:pk>/refund-method/", views.set_refund_method, name="refund_method"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/receive/", views.receive, name="receive"),
    path("<int:pk>/retry-refund/", views.retry_refund, name="retry_refund"),
]
