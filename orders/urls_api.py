"""API of the orders app, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from orders import api, api_approvals, api_changes, quotes_api

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register("carts", api.CartViewSet, basename="cart")
router.register("orders", api.OrderViewSet, basename="order")
router.register("orders", api.OrderActionViewSet, basename="order-action")
router.register("carts", api.CartDiscountViewSet, basename="cart-discount")
# Approving reprices the cart (orders); the route keeps its name in pricing's part of the API.
router.register(
    "pricing/adjustment-approvals",
    api_approvals.AdjustmentApprovalViewSet,
    basename="pricing-adjustment-approval",
)
router.register("quotes", quotes_api.QuoteViewSet, basename="quote")
# Changes after submit and holds (issue 16)
router.register("orders", api_changes.OrderChangeViewSet, basename="order-change")
router.register("holds", api_changes.HoldViewSet, basename="hold")
urlpatterns = router.urls
