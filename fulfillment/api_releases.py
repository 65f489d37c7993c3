"""API for a warehouse system: releases (with their lines), shipments, ship confirmation.

GET  /api/v1/releases/?status=released&center=TOR      releases to pick, oldest first
GET  /api/v1/releases/{id}/                            one release with its lines
POST /api/v1/releases/{id}/shipments/                  confirm a parcel: carrier, tracking
     number and the quantities per release line (omit `lines` to ship all that is open)
GET  /api/v1/shipments/?order=<order number>           ship history
POST /api/v1/shipments/{id}/capture/                   retry a failed capture
The XML documents (pick ticket, pack slip, manifest) are under /fulfillment/ (see
fulfillment/documents.py for their schema). Permission: Perm.RUN_OPERATIONS.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ModelSerializer
from core.errors import NotFound
from core.permissions import HasPerm
from core.roles import Perm
from fulfillment import attention, shipping
from fulfillment.models import Release, ReleaseLine, Shipment, ShipmentLine


class ReleaseLineSerializer(ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    name = serializers.CharField(source="sku.name", read_only=True)
    order_line = serializers.IntegerField(source="line_id", read_only=True)
    open_quantity = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReleaseLine
        fields = [
            "id",
            "order_line",
            "sku",
            "name",
            "quantity",
            "shipped_quantity",
            "open_quantity",
        ]


class ShipToSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField(source="country.code")
    phone = serializers.CharField()


class ReleaseSerializer(ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    center = serializers.CharField(source="center.code", read_only=True, allow_null=True)
    shipping_method = serializers.CharField(
        source="shipping_method.code", read_only=True, allow_null=True
    )
    ship_to = ShipToSerializer(read_only=True, allow_null=True)
    lines = ReleaseLineSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text="released | partial | shipped")

    class Meta:
        model = Release
        fields = [
            "id",
            "number",
            "order",
            "center",
            "shipping_method",
            "ship_to",
            "status",
            "created_at",
            "lines",
        ]


class ShipmentLineSerializer(ModelSerializer):
    order_line = serializers.IntegerField(source="release_line.line_id", read_only=True)
    sku = serializers.CharField(source="release_line.sku.code", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["release_line", "order_line", "sku", "quantity"]


class ShipmentSerializer(ModelSerializer):
    release = serializers.CharField(source="release.number", read_only=True)
    order = serializers.CharField(source="order.number", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)
    capture_status = serializers.CharField(
        read_only=True, help_text="pending | capturing | captured | failed"
    )

    class Meta:
        model = Shipment
        fields = [
            "id",
            "release",
            "order",
            "carrier",
            "tracking_number",
            "shipped_at",
            "amount",
            "capture_status",
            "capture_error",
            "lines",
        ]


class ShipLineInput(serializers.Serializer):
    release_line = serializers.IntegerField(required=False, help_text="Release line id")
    line = serializers.IntegerField(required=False, help_text="Or the order line id")
    quantity = serializers.IntegerField(min_value=0)


class ShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40)
    tracking_number = serializers.CharField(max_length=60)
    shipped_at = serializers.DateTimeField(required=False)
    lines = ShipLineInput(
        many=True, required=False, help_text="Omit to confirm everything still open"
    )


class ReleaseFilter(filters.FilterSet):
    center = filters.CharFilter(field_name="center__code")
    order = filters.CharFilter(field_name="order__number")

    class Meta:
        model = Release
        fields = ["status", "center", "order"]


class ReleaseList(generics.ListAPIView):
    """Releases, oldest first (a warehouse polls `?status=released&center=TOR`)."""

    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    queryset = (
        Release.objects.select_related("order", "center", "shipping_method", "ship_to")
        .prefetch_related("lines__sku")
        .order_by("id")
    )


class ReleaseDetail(generics.RetrieveAPIView):
    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]
    serializer_class = ReleaseSerializer
    queryset = ReleaseList.queryset


class ShipmentFilter(filters.FilterSet):
    order = filters.CharFilter(field_name="order__number")
    release = filters.CharFilter(field_name="release__number")

    class Meta:
        model = Shipment
        fields = ["capture_status", "order", "release"]


class ShipmentList(generics.ListAPIView):
    """Ship history, newest first."""

    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    queryset = Shipment.objects.select_related("release", "order").prefetch_related(
        "lines__release_line__sku"
    )


def _shipment(pk):
    return ShipmentList.queryset.get(pk=pk)


class ConfirmShipment(APIView):
    """Confirm a parcel of a release (tracking number); captures its payment. A tracking
    number already confirmed for the release is refused (400), nothing changes."""

    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]

    @extend_schema(request=ShipInput, responses={201: ShipmentSerializer})
    def post(self, request, pk: int):
        data = ShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        shipment = shipping.confirm_shipment(
            actor=request.user,
            release_id=pk,
            carrier=v["carrier"],
            tracking_number=v["tracking_number"],
            lines=v.get("lines"),
            shipped_at=v.get("shipped_at"),
        )
        return Response(
            ShipmentSerializer(_shipment(shipment.pk)).data, status=status.HTTP_201_CREATED
        )


class RetryCapture(APIView):
    """Retry a failed capture (at most one capture per shipment, ever)."""

    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]

    @extend_schema(request=None, responses={200: ShipmentSerializer})
    def post(self, request, pk: int):
        if not Shipment.objects.filter(pk=pk).exists():
            raise NotFound(f"Shipment {pk} does not exist.")
        attention.retry_capture(actor=request.user, shipment_id=pk)
        return Response(ShipmentSerializer(_shipment(pk)).data)
