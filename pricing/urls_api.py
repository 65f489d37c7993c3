"""API of the pricing app, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from pricing import api, api_wallet

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register("pricing/price-lists", api.PriceListViewSet, basename="pricing-price-list")
router.register("pricing/promotions", api.PromotionViewSet, basename="pricing-promotion")
router.register("pricing/coupons", api.CouponViewSet, basename="pricing-coupon")

urlpatterns = [
    path("pricing/quote", api.QuoteView.as_view(), name="pricing-quote"),
    path(
        "pricing/customers/<int:customer_id>/wallet",
        api_wallet.WalletView.as_view(),
        name="pricing-customer-wallet",
    ),
    *router.urls,
]
