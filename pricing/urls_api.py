"""API of the pricing app, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from pricing import api, api_approvals

router = SimpleRouter()
router.register("pricing/price-lists", api.PriceListViewSet, basename="pricing-price-list")
router.register("pricing/promotions", api.PromotionViewSet, basename="pricing-promotion")
router.register("pricing/coupons", api.CouponViewSet, basename="pricing-coupon")
router.register(
    "pricing/adjustment-approvals",
    api_approvals.AdjustmentApprovalViewSet,
    basename="pricing-adjustment-approval",
)

urlpatterns = [
    path("pricing/quote", api.QuoteView.as_view(), name="pricing-quote"),
    *router.urls,
]
