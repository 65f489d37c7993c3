"""Screens of the catalog app, under /catalog/."""

app_name = "catalog"
urlpatterns: list = []
