"""API of changes after submit and of holds (issue 16): change with the version seen, versions
with their diff, line cancel; holds listed, placed, released, or the held order canceled.
The same services as the screens; parse, call one service, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ModelSerializer, id_field
from core.errors import NotFound
from core.permissions import HasPerm
from core.roles import CHANGE_PLACED_ORDER, Perm
from orders import selectors
from orders.models import HoldType, Order, OrderHold, OrderVersion
from orders.services import holds
from orders.services.changes import ChangeRequest, order_change
from orders.services.versions import version_diff

ERRORS = {
    400: OpenApiResponse(description="Not valid, or a line that can no longer change"),
    403: OpenApiResponse(description="The user's role does not allow this"),
    404: OpenApiResponse(description="No such order, line or hold"),
    409: OpenApiResponse(
        description="Stale version (another CSR or the release job changed the order): "
        "nothing was changed; `version` is the current one"
    ),
}


class ChangeAddIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=9999)


class ChangeCardIn(serializers.Serializer):
    card_number = serializers.CharField(max_length=30)
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=0, max_value=2100)
    cvv = serializers.CharField(max_length=4)


class ChangeAddressIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ChangeIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The order's version you saw")
    quantities = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=9999),
        required=False,
        help_text="{line id: new quantity}",
    )
    cancel_lines = serializers.ListField(child=id_field(), required=False, max_length=500)
    add = ChangeAddIn(many=True, required=False)
    ship_to_id = id_field(required=False)
    ship_to_address = ChangeAddressIn(required=False)
    shipping_method = serializers.CharField(max_length=30, required=False)
    atp_choice = serializers.CharField(max_length=30, required=False)
    card = ChangeCardIn(required=False)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class VersionOut(ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.get_username", allow_null=True, default=None
    )
    diff = serializers.SerializerMethodField()

    class Meta:
        model = OrderVersion
        fields = [
            "number",
            "created_by",
            "created_at",
            "reason",
            "lines",
            "header",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "delta",
            "diff",
        ]

    def get_diff(self, obj) -> dict:
        previous = self.context.get("previous", {}).get(obj.number)
        return version_diff(previous, obj).as_data()


class ChangeOut(serializers.Serializer):
    order = serializers.IntegerField()
    number = serializers.CharField()
    order_version = serializers.IntegerField(help_text="Send this with the next change")
    version = VersionOut()
    payment_note = serializers.CharField()
    held_for = serializers.CharField(
        help_text="Why this change put the order on hold (a business account's credit limit); "
        "empty when it did not"
    )


class CancelLineIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class HoldOut(ModelSerializer):
    order_number = serializers.CharField(source="order.number")
    placed_by = serializers.CharField(
        source="placed_by.get_username", allow_null=True, default=None
    )
    released_by = serializers.CharField(
        source="released_by.get_username", allow_null=True, default=None
    )

    class Meta:
        model = OrderHold
        fields = [
            "id",
            "order",
            "order_number",
            "type",
            "reason",
            "placed_by",
            "placed_by_rule",
            "placed_at",
            "released_at",
            "released_by",
            "resolution",
            "note",
        ]


class HoldIn(serializers.Serializer):
    type = serializers.ChoiceField(choices=HoldType.choices, default=HoldType.MANUAL)
    reason = serializers.CharField(max_length=255)


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


def _valid(serializer_class, data) -> dict:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _order(pk) -> Order:
    order = Order.objects.filter(pk=pk).exclude(number__isnull=True).first()
    if order is None:
        raise NotFound("No such placed order.")
    return order


def _change_out(result) -> dict:
    previous = OrderVersion.objects.filter(
        order=result.order, number=result.version.number - 1
    ).first()
    return {  # the shape of ChangeOut (its nested VersionOut needs the previous version)
        "order": result.order.pk,
        "number": result.order.number,
        "order_version": result.order.version,
        "version": VersionOut(
            result.version, context={"previous": {result.version.number: previous}}
        ).data,
        "payment_note": result.payment_note,
        "held_for": result.held_for,
    }


class OrderChangeViewSet(viewsets.ViewSet):
    """Change a placed order, its versions, line cancel and placing a hold."""

    lookup_value_converter = "int"
    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(
        request=ChangeIn,
        responses={
            200: ChangeOut,
            402: OpenApiResponse(description="The card declined the new amount: not changed"),
            **ERRORS,
        },
        summary="Change a placed order (same number, a new version)",
    )
    @action(detail=True, methods=["post"], url_path="change")
    def change(self, request, pk=None):
        data = _valid(ChangeIn, request.data)
        req = ChangeRequest(
            quantities={int(k): v for k, v in data.get("quantities", {}).items()},
            cancel_lines=data.get("cancel_lines", []),
            add=[(x["sku"], x["quantity"]) for x in data.get("add", [])],
            ship_to_id=data.get("ship_to_id"),
            ship_to_address=data.get("ship_to_address"),
            shipping_method_code=data.get("shipping_method", ""),
            atp_choice=data.get("atp_choice", ""),
            card=data.get("card"),
            reason=data.get("reason", ""),
        )
        result = order_change(
            actor=request.user, order=_order(pk), version=data["version"], request=req
        )
        return Response(_change_out(result))

    @extend_schema(
        request=CancelLineIn,
        responses={
            200: ChangeOut,
            402: OpenApiResponse(description="The gateway refused: not changed"),
            **ERRORS,
        },
        summary="Cancel one line of a placed order",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="lines/<int:line_id>/cancel",
    )
    def cancel_line(self, request, pk=None, line_id=None):
        data = _valid(CancelLineIn, request.data)
        req = ChangeRequest(cancel_lines=[int(line_id)], reason=data.get("reason", ""))
        result = order_change(
            actor=request.user, order=_order(pk), version=data["version"], request=req
        )
        return Response(_change_out(result))

    @extend_schema(
        responses={
            200: VersionOut(many=True),
            403: ERRORS[403],
            404: ERRORS[404],
        },
        summary="The order's versions, each with its diff from the one before",
    )
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        order = _order(pk)
        rows = selectors.order_versions(order)
        previous = {v.number: p for p, v in zip([None, *rows], rows, strict=False)}
        return Response(VersionOut(rows, many=True, context={"previous": previous}).data)

    @extend_schema(
        request=HoldIn,
        responses={201: HoldOut, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
        summary="Hold a placed order (it is not released until the hold is)",
    )
    @action(detail=True, methods=["post"])
    def holds(self, request, pk=None):
        data = _valid(HoldIn, request.data)
        hold = holds.hold_place(
            actor=request.user, order=_order(pk), hold_type=data["type"], reason=data["reason"]
        )
        return Response(HoldOut(hold).data, status=201)

    def get_permissions(self):
        if self.action in ("change", "cancel_line"):
            return [HasPerm.of(CHANGE_PLACED_ORDER)()]
        return super().get_permissions()


class HoldViewSet(viewsets.ViewSet):
    """The review queue: open holds by type and age; supervisors release or cancel."""

    lookup_value_converter = "int"
    permission_classes = [HasPerm.of(Perm.SUPERVISE)]

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=HoldType.values, description="Only this type")
        ],
        responses={200: HoldOut(many=True), 403: ERRORS[403]},
        summary="Open holds, oldest first (unpaginated, at most 500)",
    )
    def list(self, request):
        hold_type = request.query_params.get("type") or None
        if hold_type not in (None, *HoldType.values):
            hold_type = "-"
        return Response(HoldOut(selectors.hold_queue(hold_type=hold_type)[:500], many=True).data)

    @extend_schema(
        request=NoteIn,
        responses={200: HoldOut, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
        summary="Release a hold",
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        data = _valid(NoteIn, request.data)
        hold = holds.hold_release(actor=request.user, hold_id=pk, note=data["note"])
        hold = OrderHold.objects.select_related("order", "placed_by", "released_by").get(pk=hold.pk)
        return Response(HoldOut(hold).data)

    @extend_schema(
        request=NoteIn,
        responses={200: HoldOut, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
        summary="Cancel the held order (every open hold on it closes)",
    )
    @action(detail=True, methods=["post"], url_path="cancel-order")
    def cancel_order(self, request, pk=None):
        data = _valid(NoteIn, request.data)
        holds.hold_cancel_order(actor=request.user, hold_id=pk, reason=data["note"])
        hold = OrderHold.objects.select_related("order", "placed_by", "released_by").get(pk=pk)
        return Response(HoldOut(hold).data)
