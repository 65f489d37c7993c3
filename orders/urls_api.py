"""API of the orders app, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from orders import api

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register("carts", api.CartViewSet, basename="cart")
router.register("orders", api.OrderViewSet, basename="order")
urlpatterns = router.urls
