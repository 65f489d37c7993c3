"""Screens of the auctions app, under /auctions/."""

app_name = "auctions"
urlpatterns: list = []
