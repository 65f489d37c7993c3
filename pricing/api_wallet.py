"""A customer's wallet for the desk's API: the coupons a CSR can redeem on an order."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from core.api import ModelSerializer
from core.permissions import HasPerm
from core.roles import Perm
from customers.models import Customer
from pricing import models as m
from pricing import selectors


class WalletCouponSerializer(ModelSerializer):
    promotion_name = serializers.CharField(source="promotion.name", read_only=True)
    reward = serializers.CharField(source="promotion.reward", read_only=True)
    percent = serializers.DecimalField(
        source="promotion.percent", max_digits=6, decimal_places=3, read_only=True, allow_null=True
    )
    amount = serializers.DecimalField(
        source="promotion.amount", max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = m.Coupon
        fields = [
            "id",
            "code",
            "promotion",
            "promotion_name",
            "reward",
            "percent",
            "amount",
            "issued_at",
            "expires_at",
        ]
        read_only_fields = fields


@extend_schema(tags=["pricing"])
class WalletView(generics.ListAPIView):
    """The customer's usable coupons (available, not expired), soonest expiry first."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = WalletCouponSerializer
    pagination_class = None
    queryset = m.Coupon.objects.none()  # the schema's model; get_queryset gives the rows

    def get_queryset(self):
        customer = get_object_or_404(Customer, pk=self.kwargs["customer_id"])
        return selectors.wallet(customer=customer)
