"""The returns API: CSRs enter returns, supervisors decide, operations receive.

Views are adapters: validate input, call one service or selector, serialize the result. The
services check the roles again (the same checks as the screens).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import SKU
from core.api import ModelSerializer
from core.errors import DomainError, NotFound
from core.permissions import HasPerm
from core.roles import Perm
from customers.models import Customer
from fulfillment.models import FulfillmentCenter
from orders.models import Order
from returns import receiving, rules, selectors, services
from returns.models import (
    Disposition,
    RefundMethod,
    ReturnEvent,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
)


class DeskOrOperations(BasePermission):
    """CSRs find and enter returns; operations find the ones to receive."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_perm(str(Perm.USE_DESK)) or user.has_perm(str(Perm.RUN_OPERATIONS)))
        )


# --- serializers -----------------------------------------------------------------------------


class ReturnReasonSerializer(ModelSerializer):
    class Meta:
        model = ReturnReason
        fields = ["code", "label"]


class ReturnLineSerializer(ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True, default=None)
    reason = serializers.CharField(source="reason.code", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "kind",
            "order_line",
            "sku",
            "label",
            "quantity",
            "reason",
            "disposition",
            "merchandise_amount",
            "tax_amount",
            "paid_amount",
            "refund_amount",
            "adjustment_reason",
            "adjustment_over_limit",
            "received_quantity",
        ]


class ReturnEventSerializer(ModelSerializer):
    event = serializers.CharField(source="event_label", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = ReturnEvent
        fields = ["occurred_at", "event_type", "event", "actor", "data"]


class ReturnRefundSummarySerializer(serializers.Serializer):
    merchandise = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = serializers.DecimalField(max_digits=14, decimal_places=2)
    clawback = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    store_credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    original_payment = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReturnListSerializer(ModelSerializer):
    # A plain string in the schema: an enum component named "status" would collide with orders'.
    status = serializers.CharField(read_only=True, help_text=", ".join(ReturnStatus.values))
    order = serializers.CharField(source="order.number", read_only=True, default=None)
    contact = serializers.CharField(source="contact_name", read_only=True)
    refund_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "rma_number",
            "status",
            "order",
            "customer",
            "contact",
            "refund_method",
            "refund_total",
            "created_at",
            "approved_at",
            "received_at",
        ]


class ReturnDetailSerializer(ReturnListSerializer):
    lines = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField()
    approval = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(ReturnListSerializer.Meta):
        fields = [
            *ReturnListSerializer.Meta.fields,
            "guest_first_name",
            "guest_last_name",
            "guest_email",
            "guest_phone",
            "currency",
            "store_credit_amount",
            "clawback_amount",
            "clawback_reason",
            "shipping_amount",
            "approval_checks",
            "approval",
            "decision_comment",
            "refund_error",
            "lines",
            "refund",
            "events",
        ]

    @extend_schema(responses=ReturnLineSerializer(many=True))
    def get_lines(self, obj) -> list:
        return ReturnLineSerializer(selectors.return_lines(obj), many=True).data

    @extend_schema(responses=ReturnRefundSummarySerializer)
    def get_refund(self, obj) -> dict:
        return ReturnRefundSummarySerializer(selectors.refund_summary(obj)).data

    def get_approval(self, obj) -> str:
        return rules.summary(obj.approval_checks)

    @extend_schema(responses=ReturnEventSerializer(many=True))
    def get_events(self, obj) -> list:
        return ReturnEventSerializer(obj.events.select_related("actor"), many=True).data


class ReturnGuestInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class ReturnCreateInput(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), required=False)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False)
    guest = ReturnGuestInput(required=False)


class ReturnLineInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReturnLine.Kind.choices)
    order_line = serializers.IntegerField(required=False)
    sku = serializers.SlugRelatedField(
        slug_field="code", queryset=SKU.objects.all(), required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1)
    unit_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    reason = serializers.CharField()
    disposition = serializers.ChoiceField(choices=Disposition.choices, default=Disposition.RESTOCK)


class ReturnAdjustInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(max_length=255)


class ReturnRefundMethodInput(serializers.Serializer):
    refund_method = serializers.ChoiceField(choices=RefundMethod.choices)
    store_credit_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)


class ReturnDecisionInput(serializers.Serializer):
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True)


class ReturnReceivedLineInput(serializers.Serializer):
    line = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=0)
    disposition = serializers.ChoiceField(choices=Disposition.choices)


class ReturnReceiveInput(serializers.Serializer):
    lines = ReturnReceivedLineInput(many=True, required=False)
    center = serializers.SlugRelatedField(
        slug_field="code", queryset=FulfillmentCenter.objects.filter(is_active=True), required=False
    )


class ReturnableLineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(source="line.pk")
    sku = serializers.CharField(source="line.sku.code")
    name = serializers.CharField(source="line.sku.name")
    quantity = serializers.IntegerField(source="line.quantity")
    shipped = serializers.IntegerField()
    returned = serializers.IntegerField()
    returnable = serializers.IntegerField()
    unit_refund = serializers.DecimalField(max_digits=14, decimal_places=2)


# --- views -----------------------------------------------------------------------------------


def _return(pk) -> ReturnRequest:
    found = selectors.return_get(pk)
    if found is None:
        raise NotFound(f"Return {pk} does not exist.")
    return found


def _detail(pk, code=status.HTTP_200_OK) -> Response:
    return Response(ReturnDetailSerializer(_return(pk)).data, status=code)


class ReturnFilterIn(serializers.Serializer):
    # Typed filters: a malformed value is a 400 with the field, not a database error.
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    status = serializers.ChoiceField(
        choices=ReturnStatus.values, required=False, allow_blank=True, default=""
    )
    order = serializers.IntegerField(required=False, min_value=1)
    customer = serializers.IntegerField(required=False, min_value=1)


class ReturnListCreate(generics.ListAPIView):
    """Find returns (RMA, order number, name, e-mail; by status) or create one: from an order,
    for a registered customer, or for a guest with contact details."""

    permission_classes = [DeskOrOperations]
    serializer_class = ReturnListSerializer

    @extend_schema(parameters=[ReturnFilterIn])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ReturnFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        found = filters.validated_data
        return selectors.return_list(
            query=found["q"],
            status=found["status"],
            order_id=found.get("order"),
            customer_id=found.get("customer"),
        )

    @extend_schema(request=ReturnCreateInput, responses={201: ReturnDetailSerializer})
    def post(self, request):
        data = ReturnCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        created = services.create_return(
            actor=request.user,
            order=v.get("order"),
            customer=v.get("customer"),
            guest=v.get("guest"),
        )
        return _detail(created.pk, status.HTTP_201_CREATED)


class ReturnDetail(APIView):
    permission_classes = [DeskOrOperations]

    @extend_schema(responses=ReturnDetailSerializer)
    def get(self, request, pk: int):
        return _detail(pk)


class ReasonList(generics.ListAPIView):
    """The store's reason codes (edited in the admin)."""

    permission_classes = [DeskOrOperations]
    serializer_class = ReturnReasonSerializer
    pagination_class = None
    queryset = selectors.active_reasons()


class ReturnableLines(APIView):
    """An order's lines with what shipped, what is already on returns and the next unit's
    refund: what a CSR picks from."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(responses=ReturnableLineSerializer(many=True))
    def get(self, request, order_id: int):
        order = get_object_or_404(Order, pk=order_id)
        rows = selectors.returnable_lines(order)
        return Response(ReturnableLineSerializer(rows, many=True).data)


class AddLine(APIView):
    """ "Add order item" (`order_line`), "Add catalog item" (`sku`, `unit_amount`) or "Add ad-hoc
    item" (`description`, `unit_amount`; supervisors only)."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=ReturnLineInput, responses={201: ReturnDetailSerializer})
    def post(self, request, pk: int):
        data = ReturnLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rr = _return(pk)
        kind, common = v["kind"], {"actor": request.user, "return_request": rr}
        if kind == ReturnLine.Kind.ORDER_LINE:
            services.add_order_line(
                **common,
                order_line_id=_required(v, "order_line"),
                quantity=v["quantity"],
                reason=v["reason"],
                disposition=v["disposition"],
            )
        elif kind == ReturnLine.Kind.CATALOG:
            services.add_catalog_item(
                **common,
                sku=_required(v, "sku"),
                quantity=v["quantity"],
                unit_amount=_required(v, "unit_amount"),
                reason=v["reason"],
            )
        else:
            services.add_adhoc_item(
                **common,
                description=v.get("description", ""),
                quantity=v["quantity"],
                unit_amount=_required(v, "unit_amount"),
                reason=v["reason"],
            )
        return _detail(pk, status.HTTP_201_CREATED)


def _required(values: dict, field: str):
    if values.get(field) is None:
        raise DomainError(f"{field} is required for this kind of item.", field=field)
    return values[field]


def _line(pk: int, line_id: int) -> ReturnLine:
    return get_object_or_404(ReturnLine, pk=line_id, return_request_id=pk)


class LineDetail(APIView):
    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=None, responses={200: ReturnDetailSerializer})
    def delete(self, request, pk: int, line_id: int):
        services.remove_line(actor=request.user, return_line=_line(pk, line_id))
        return _detail(pk)


class AdjustRefund(APIView):
    """ "Adjust refund amount" of a line, with a reason; over the CSR's limit the return waits
    for a supervisor."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=ReturnAdjustInput, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int, line_id: int):
        data = ReturnAdjustInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.adjust_refund(
            actor=request.user,
            return_line=_line(pk, line_id),
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
        )
        return _detail(pk)


class SetRefundMethod(APIView):
    """ "Update refund method": original payment, store credit or a mix."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=ReturnRefundMethodInput, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        data = ReturnRefundMethodInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_refund_method(
            actor=request.user,
            return_request=_return(pk),
            method=data.validated_data["refund_method"],
            store_credit_amount=data.validated_data.get("store_credit_amount"),
        )
        return _detail(pk)


class Submit(APIView):
    """Submit: approved automatically when every store rule passes, else to the supervisor."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=None, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        services.submit_return(actor=request.user, return_request=_return(pk))
        return _detail(pk)


class Approve(APIView):
    permission_classes = [HasPerm.of(Perm.SUPERVISE)]

    @extend_schema(request=ReturnDecisionInput, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        data = ReturnDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.approve_return(
            actor=request.user,
            return_request=_return(pk),
            comment=data.validated_data.get("comment", ""),
        )
        return _detail(pk)


class Deny(APIView):
    permission_classes = [HasPerm.of(Perm.SUPERVISE)]

    @extend_schema(request=ReturnDecisionInput, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        data = ReturnDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.deny_return(
            actor=request.user,
            return_request=_return(pk),
            comment=data.validated_data.get("comment", ""),
        )
        return _detail(pk)


class Receive(APIView):
    """Receive the goods (all as planned, or quantities and dispositions per line), restock,
    then refund. A second receipt is refused."""

    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]

    @extend_schema(request=ReturnReceiveInput, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        data = ReturnReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        receiving.receive_return(
            actor=request.user,
            return_request=_return(pk),
            items=v.get("lines"),
            center=v.get("center"),
        )
        return _detail(pk)


class RetryRefund(APIView):
    permission_classes = [HasPerm.of(Perm.RUN_OPERATIONS)]

    @extend_schema(request=None, responses={200: ReturnDetailSerializer})
    def post(self, request, pk: int):
        receiving.retry_refund(actor=request.user, return_request=_return(pk))
        return _detail(pk)
