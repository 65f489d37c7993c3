"""API of the fulfillment app, under /api/v1/."""

urlpatterns: list = []
