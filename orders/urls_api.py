"""API of the orders app, under /api/v1/."""

urlpatterns: list = []
