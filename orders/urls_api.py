"""API of the orders app, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from orders import api

router = SimpleRouter()
router.register("carts", api.CartViewSet, basename="cart")
router.register("orders", api.OrderViewSet, basename="order")
router.register("orders", api.OrderActionViewSet, basename="order-action")
router.register("carts", api.CartDiscountViewSet, basename="cart-discount")
urlpatterns = router.urls
