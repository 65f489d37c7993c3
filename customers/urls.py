"""Screens of the customers app, under /customers/."""

app_name = "customers"
urlpatterns: list = []
