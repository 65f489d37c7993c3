"""Screens of the fulfillment app, under /fulfillment/."""

app_name = "fulfillment"
urlpatterns: list = []
