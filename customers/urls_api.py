"""API of the customers app, under /api/v1/."""

urlpatterns: list = []
