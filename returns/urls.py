"""Screens of the returns app, under /returns/."""

app_name = "returns"
urlpatterns: list = []
