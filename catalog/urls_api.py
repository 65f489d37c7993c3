"""API of the catalog app, under /api/v1/."""

urlpatterns: list = []
