"""API of the returns app, under /api/v1/."""

urlpatterns: list = []
