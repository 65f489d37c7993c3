"""Screens of the pricing app, under /pricing/."""

app_name = "pricing"
urlpatterns: list = []
