"""Screens of the orders app, under /orders/."""

app_name = "orders"
urlpatterns: list = []
