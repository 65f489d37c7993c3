"""The inventory API for store admins and operations (and availability for the desk).

Views are adapters: validate input, call one service or selector, serialize the result.
"""

from django.db.models import F
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ModelSerializer
from core.permissions import HasPerm
from core.roles import Perm
from fulfillment.inventory import selectors, stock
from fulfillment.models import (
    AdjustmentReason,
    ExpectedInventory,
    FulfillmentCenter,
    Inventory,
    InventoryAdjustment,
    ShippingArrangement,
)


class InventoryStaff(BasePermission):
    """Operations or Store Admin."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_perm(str(Perm.RUN_OPERATIONS)) or user.has_perm(str(Perm.MANAGE_STORE)))
        )


# --- serializers -----------------------------------------------------------------------------


class CenterSerializer(ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = FulfillmentCenter
        fields = [
            "id",
            "code",
            "name",
            "line1",
            "city",
            "region",
            "postal_code",
            "country",
            "time_zone",
            "precedence",
            "is_active",
        ]


class ArrangementSerializer(ModelSerializer):
    center = serializers.CharField(source="center.code", read_only=True)
    shipping_method = serializers.CharField(source="shipping_method.code", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = ShippingArrangement
        fields = [
            "id",
            "center",
            "shipping_method",
            "country",
            "region",
            "postal_prefix",
            "precedence",
        ]


class InventorySerializer(ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    sku_name = serializers.CharField(source="sku.name", read_only=True)
    center = serializers.CharField(source="center.code", read_only=True)
    available = serializers.IntegerField(source="available_qty", read_only=True)

    class Meta:
        model = Inventory
        fields = [
            "id",
            "sku",
            "sku_name",
            "center",
            "on_hand",
            "allocated",
            "available",
            "updated_at",
        ]


class AdjustmentSerializer(ModelSerializer):
    sku = serializers.CharField(source="inventory.sku.code", read_only=True)
    center = serializers.CharField(source="inventory.center.code", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = InventoryAdjustment
        fields = [
            "id",
            "sku",
            "center",
            "reason",
            "quantity",
            "on_hand_before",
            "on_hand_after",
            "note",
            "actor",
            "occurred_at",
        ]


class AdjustmentInput(serializers.Serializer):
    sku = serializers.CharField(help_text="SKU code")
    center = serializers.CharField(help_text="Fulfillment center code")
    quantity = serializers.IntegerField(help_text="Change of on hand: + adds, - removes")
    reason = serializers.ChoiceField(choices=AdjustmentReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ExpectedSerializer(ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    center = serializers.CharField(source="center.code", read_only=True)
    vendor = serializers.CharField(source="vendor.code", read_only=True)
    open_quantity = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExpectedInventory
        fields = [
            "id",
            "vendor",
            "sku",
            "center",
            "reference",
            "quantity",
            "received_quantity",
            "promised_quantity",
            "open_quantity",
            "expected_date",
            "created_at",
        ]


class ExpectedInput(serializers.Serializer):
    vendor = serializers.CharField(help_text="Vendor code")
    sku = serializers.CharField(help_text="SKU code")
    center = serializers.CharField(help_text="Fulfillment center code")
    quantity = serializers.IntegerField()
    expected_date = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class ReceiveInput(serializers.Serializer):
    quantity = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AvailabilitySerializer(serializers.Serializer):
    sku_id = serializers.IntegerField()
    available_now = serializers.IntegerField()
    center_code = serializers.CharField(allow_null=True)
    expected_quantity = serializers.IntegerField()
    expected_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()


# --- filters ---------------------------------------------------------------------------------


class InventoryFilter(filters.FilterSet):
    sku = filters.CharFilter(field_name="sku__code", lookup_expr="iexact", label="SKU code")
    sku_prefix = filters.CharFilter(field_name="sku__code", lookup_expr="istartswith")
    center = filters.CharFilter(field_name="center__code", lookup_expr="iexact")
    available_lte = filters.NumberFilter(field_name="available_qty", lookup_expr="lte")
    has_allocations = filters.BooleanFilter(method="_allocated")

    class Meta:
        model = Inventory
        fields = ["sku", "sku_prefix", "center", "available_lte", "has_allocations"]

    def _allocated(self, queryset, name, value):
        return queryset.filter(allocated__gt=0) if value else queryset.filter(allocated=0)


class ExpectedFilter(filters.FilterSet):
    sku = filters.CharFilter(field_name="sku__code", lookup_expr="iexact")
    center = filters.CharFilter(field_name="center__code", lookup_expr="iexact")
    vendor = filters.CharFilter(field_name="vendor__code", lookup_expr="iexact")
    open = filters.BooleanFilter(method="_open")
    expected_before = filters.DateFilter(field_name="expected_date", lookup_expr="lte")

    class Meta:
        model = ExpectedInventory
        fields = ["sku", "center", "vendor", "open", "expected_before"]

    def _open(self, queryset, name, value):
        if value:
            return queryset.filter(received_quantity__lt=F("quantity"))
        return queryset.filter(received_quantity=F("quantity"))


class AdjustmentFilter(filters.FilterSet):
    sku = filters.CharFilter(field_name="inventory__sku__code", lookup_expr="iexact")
    center = filters.CharFilter(field_name="inventory__center__code", lookup_expr="iexact")
    reason = filters.ChoiceFilter(choices=AdjustmentReason.choices)

    class Meta:
        model = InventoryAdjustment
        fields = ["sku", "center", "reason"]


# --- views -----------------------------------------------------------------------------------


class InventoryList(generics.ListAPIView):
    """Inventory rows: on hand, allocated and available per SKU and center."""

    permission_classes = [InventoryStaff]
    serializer_class = InventorySerializer
    filterset_class = InventoryFilter

    def get_queryset(self):
        return selectors.inventory_list().order_by("sku__code", "center__precedence")


class CenterList(generics.ListAPIView):
    permission_classes = [InventoryStaff]
    serializer_class = CenterSerializer
    queryset = FulfillmentCenter.objects.all()
    filterset_fields = ["is_active"]


class ArrangementList(generics.ListAPIView):
    permission_classes = [InventoryStaff]
    serializer_class = ArrangementSerializer
    queryset = ShippingArrangement.objects.select_related("center", "shipping_method")


class ListCreateThroughService(generics.ListAPIView):
    """A filtered list whose POST validates `input_serializer` and hands the data to one service
    (`create`), answering 201 with the new row as the list shows it."""

    permission_classes = [InventoryStaff]
    input_serializer: type[serializers.Serializer]

    def create(self, actor, data: dict):
        raise NotImplementedError

    def post(self, request):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = self.create(request.user, data.validated_data)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(request=AdjustmentInput, responses={201: AdjustmentSerializer})
)
class AdjustmentListCreate(ListCreateThroughService):
    """Adjustments (the stock audit trail); POST records one ("Adjust inventory")."""

    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilter
    input_serializer = AdjustmentInput

    def get_queryset(self):
        return InventoryAdjustment.objects.select_related(
            "inventory__sku", "inventory__center", "actor"
        )

    def create(self, actor, data: dict):
        return stock.adjust_inventory(actor=actor, **data)


@extend_schema_view(post=extend_schema(request=ExpectedInput, responses={201: ExpectedSerializer}))
class ExpectedListCreate(ListCreateThroughService):
    """Expected inventory from vendors; POST creates a record."""

    serializer_class = ExpectedSerializer
    filterset_class = ExpectedFilter
    input_serializer = ExpectedInput

    def get_queryset(self):
        return ExpectedInventory.objects.select_related("sku", "center", "vendor")

    def create(self, actor, data: dict):
        return stock.create_expected_inventory(actor=actor, **data)


class ReceiveExpected(APIView):
    """Receive goods against an expected-inventory record (expected becomes on hand)."""

    permission_classes = [InventoryStaff]

    @extend_schema(request=ReceiveInput, responses={201: AdjustmentSerializer})
    def post(self, request, pk: int):
        expected = get_object_or_404(ExpectedInventory, pk=pk)
        data = ReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = stock.receive_expected(
            actor=request.user, expected=expected, **data.validated_data
        )
        return Response(AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)


class AvailabilityView(APIView):
    """Availability to promise for SKUs (no ship-to: every center), for the desk."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(
        parameters=[
            OpenApiParameter("sku_ids", str, description="Comma-separated SKU ids", required=True)
        ],
        responses={
            200: inline_serializer(
                "AvailabilityList", {"results": AvailabilitySerializer(many=True)}
            )
        },
    )
    def get(self, request):
        raw = request.query_params.get("sku_ids", "")
        try:
            ids = [int(x) for x in raw.split(",") if x.strip()][:200]
        except ValueError:
            ids = None
        if not ids:
            return Response(
                {
                    "message": "Give sku_ids as comma-separated numbers.",
                    "code": "invalid",
                    "fields": {"sku_ids": ["Comma-separated SKU ids."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        found = selectors.availability(sku_ids=ids)
        results = [{**vars(a), "status": a.status} for a in found.values()]
        return Response({"results": AvailabilitySerializer(results, many=True).data})
