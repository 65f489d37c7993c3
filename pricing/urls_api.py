"""API of the pricing app, under /api/v1/."""

urlpatterns: list = []
