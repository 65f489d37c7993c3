"""Pricing API: the quote (a cart in, the priced result and explanation out) and CRUD for
price lists, promotions and coupons (store admins). Thin: validation is the models' own
(`full_clean`), writes go through services for audit and the rules' cache version."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ModelSerializer
from core.permissions import HasPerm
from core.roles import Perm
from customers.models import Customer
from pricing import models as m
from pricing import selectors, services

# --- quote -------------------------------------------------------------------------------------


class QuoteItemSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="SKU code")
    quantity = serializers.IntegerField(min_value=1)


class QuoteShipToSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, default="CA")
    region = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    shipping_method = serializers.SlugRelatedField(
        slug_field="code",
        queryset=m.ShippingMethod.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )


class QuoteInputSerializer(serializers.Serializer):
    items = QuoteItemSerializer(many=True, allow_empty=False)
    customer = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Customer id; null = a guest."
    )
    codes = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    coupons = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Coupon ids"
    )
    currency = serializers.CharField(max_length=3, required=False, allow_null=True, default=None)
    ship_to = QuoteShipToSerializer(required=False, default=dict)
    at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Price at this time; null = now."
    )

    def validate_customer(self, value):
        if value is None:
            return None
        customer = Customer.objects.filter(pk=value).first()
        if customer is None:
            raise serializers.ValidationError("No such customer.")
        return customer


class PricingDiscountOut(serializers.Serializer):
    source = serializers.CharField()
    source_id = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PricingLineOut(serializers.Serializer):
    line_id = serializers.CharField()
    sku_id = serializers.IntegerField()
    sku_code = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    price_list_id = serializers.IntegerField(allow_null=True)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    discounts = PricingDiscountOut(many=True)
    discount_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)


class PricingGiftOut(serializers.Serializer):
    promotion_id = serializers.IntegerField()
    promotion_name = serializers.CharField()
    sku_id = serializers.IntegerField()
    sku_code = serializers.CharField()
    quantity = serializers.IntegerField()


class PricingShippingOut(serializers.Serializer):
    method_id = serializers.IntegerField(allow_null=True)
    method_name = serializers.CharField()
    charge = serializers.DecimalField(max_digits=14, decimal_places=2)
    discounts = PricingDiscountOut(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)


class PricingTaxOut(serializers.Serializer):
    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=4)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PricingAppliedOut(serializers.Serializer):
    source = serializers.CharField()
    source_id = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    detail = serializers.CharField()


class PricingNotAppliedOut(serializers.Serializer):
    promotion_id = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.CharField(
        help_text="not_in_segment, outside_schedule, code_not_entered, coupon_not_selected, "
        "limit_reached, excluded_by_exclusive, minimum_not_met, no_qualifying_items, "
        "wrong_currency, nothing_to_discount"
    )
    message = serializers.CharField()


class PricingNearMissOut(serializers.Serializer):
    promotion_id = serializers.IntegerField()
    name = serializers.CharField()
    message = serializers.CharField()


class PricingExplanationOut(serializers.Serializer):
    applied = PricingAppliedOut(many=True)
    not_applied = PricingNotAppliedOut(many=True)
    near_misses = PricingNearMissOut(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class QuoteOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    lines = PricingLineOut(many=True)
    gifts = PricingGiftOut(many=True)
    shipping = PricingShippingOut(many=True)
    taxes = PricingTaxOut(many=True)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipping_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    explanation = PricingExplanationOut()


class QuoteView(APIView):
    """Price a cart for a customer (or a guest) at a time, with the explanation."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(
        request=QuoteInputSerializer,
        responses={200: QuoteOutputSerializer},
        summary="Price a cart",
        tags=["pricing"],
    )
    def post(self, request):
        data = QuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        ship_to = v.get("ship_to") or {}
        priced = selectors.quote_cart(
            items=[(i["sku"], i["quantity"]) for i in v["items"]],
            customer=v["customer"],
            codes=v["codes"],
            coupon_ids=v["coupons"],
            currency=v["currency"],
            country=ship_to.get("country", "CA"),
            region=ship_to.get("region", ""),
            postal_code=ship_to.get("postal_code", ""),
            shipping_method=ship_to.get("shipping_method"),
            now=v["at"],
        )
        return Response(QuoteOutputSerializer(priced).data)


# --- CRUD for store admins ---------------------------------------------------------------------


class ModelValidated(ModelSerializer):
    """Runs the model's own validation (clean + field validators) so the API refuses exactly
    what the admin refuses, with the same messages."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        m2m = {f.name for f in model._meta.many_to_many}
        values = self._current()
        for name, value in attrs.items():
            if name in m2m or isinstance(value, list):
                continue
            field = model._meta.get_field(name)
            if field.many_to_one:
                values[field.attname] = value.pk if value is not None else None
            else:
                values[name] = value
        instance = model(**values)
        if self.instance is not None:
            instance.pk = self.instance.pk
        try:
            instance.full_clean(exclude=list(m2m), validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {
            f.attname: getattr(self.instance, f.attname)
            for f in self.Meta.model._meta.concrete_fields
            if not f.primary_key
        }


class PriceListEntrySerializer(ModelSerializer):
    class Meta:
        model = m.PriceListEntry
        fields = ["sku", "min_quantity", "price"]


class CategoryAdjustmentSerializer(ModelSerializer):
    class Meta:
        model = m.CategoryPriceAdjustment
        fields = ["category", "direction", "percent"]


class PriceListSerializer(ModelValidated):
    entries = PriceListEntrySerializer(many=True, required=False)
    category_adjustments = CategoryAdjustmentSerializer(many=True, required=False)

    class Meta:
        model = m.PriceList
        fields = [
            "id",
            "name",
            "currency",
            "kind",
            "segment",
            "organization",
            "priority",
            "base_list",
            "starts_at",
            "ends_at",
            "is_active",
            "entries",
            "category_adjustments",
        ]


class DaysField(serializers.ListField):
    """Days of week as a list of 0 (Monday) to 6; stored as "5,6"."""

    child = serializers.IntegerField(min_value=0, max_value=6)

    def to_representation(self, data):
        if isinstance(data, str):
            data = sorted(int(x) for x in data.split(",") if x.strip())
        return super().to_representation(data)

    def to_internal_value(self, data):
        return ",".join(str(d) for d in sorted(set(super().to_internal_value(data))))


class PromotionSerializer(ModelValidated):
    days_of_week = DaysField(required=False, help_text="0 = Monday; empty = every day.")
    uses = serializers.SerializerMethodField()

    class Meta:
        model = m.Promotion
        fields = [
            "id",
            "name",
            "description",
            "reward",
            "is_active",
            "priority",
            "exclusive",
            "segments",
            "code",
            "code_required",
            "is_coupon",
            "coupon_valid_days",
            "starts_at",
            "ends_at",
            "days_of_week",
            "time_from",
            "time_to",
            "time_zone",
            "currency",
            "skus",
            "categories",
            "min_quantity",
            "min_amount",
            "shipping_methods",
            "percent",
            "amount",
            "buy_quantity",
            "get_quantity",
            "get_skus",
            "gift_sku",
            "gift_quantity",
            "limit_per_order",
            "limit_per_customer",
            "limit_overall",
            "uses",
        ]

    def get_uses(self, obj) -> int:
        counter = getattr(obj, "counter", None)
        return counter.used if counter else 0

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if values.get("code"):
            values["code"] = values["code"].strip().upper()
        return values


class CouponSerializer(ModelSerializer):
    class Meta:
        model = m.Coupon
        fields = [
            "id",
            "promotion",
            "customer",
            "code",
            "status",
            "issued_at",
            "expires_at",
            "order",
            "consumed_at",
        ]
        read_only_fields = ["code", "issued_at", "expires_at", "order", "consumed_at"]


class CouponUpdateSerializer(ModelSerializer):
    class Meta:
        model = m.Coupon
        fields = ["status", "expires_at"]


class RuleViewSet(viewsets.ModelViewSet):
    permission_classes = [HasPerm.of(Perm.MANAGE_STORE)]
    lookup_value_converter = "int"

    def perform_create(self, serializer):
        obj = serializer.save()
        services.rules_changed(actor=self.request.user, subject=f"{obj}", action="api create")

    def perform_update(self, serializer):
        obj = serializer.save()
        services.rules_changed(actor=self.request.user, subject=f"{obj}", action="api update")

    def perform_destroy(self, instance):
        subject = str(instance)
        instance.delete()
        services.rules_changed(actor=self.request.user, subject=subject, action="api delete")


@extend_schema(tags=["pricing"])
class PriceListViewSet(RuleViewSet):
    serializer_class = PriceListSerializer
    queryset = m.PriceList.objects.prefetch_related("entries", "category_adjustments")
    filterset_fields = ["currency", "kind", "is_active"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.price_list_create(
            actor=self.request.user,
            entries=data.pop("entries", None),
            category_adjustments=data.pop("category_adjustments", None),
            data=data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.price_list_update(
            actor=self.request.user,
            price_list=serializer.instance,
            entries=data.pop("entries", None),
            category_adjustments=data.pop("category_adjustments", None),
            data=data,
        )


@extend_schema(tags=["pricing"])
class PromotionViewSet(RuleViewSet):
    serializer_class = PromotionSerializer
    queryset = m.Promotion.objects.select_related("counter").prefetch_related(
        "segments", "skus", "categories", "shipping_methods", "get_skus"
    )
    filterset_fields = ["reward", "is_active", "is_coupon"]


@extend_schema(tags=["pricing"])
class CouponViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Coupons in customers' wallets. Creating one issues it (expiry from the promotion)."""

    permission_classes = [HasPerm.of(Perm.MANAGE_STORE)]
    lookup_value_converter = "int"
    queryset = m.Coupon.objects.select_related("promotion", "customer")
    filterset_fields = ["customer", "promotion", "status"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CouponUpdateSerializer
        return CouponSerializer

    def create(self, request, *args, **kwargs):
        serializer = CouponSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        coupon = services.issue_coupon(
            promotion=serializer.validated_data["promotion"],
            customer=serializer.validated_data["customer"],
            actor=request.user,
        )
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)
