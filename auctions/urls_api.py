"""API of the auctions app, under /api/v1/."""

urlpatterns: list = []
