"""API of "Find orders requiring payment attention" and what is done about them: the list,
a supervisor's "payment authorized" / "requires review", and a new card for what is still to
be captured; each one of `fulfillment.attention`'s functions (permission-checked and audited
there). Retrying a failed capture is `POST /shipments/{id}/capture/`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import HasPerm
from core.roles import Perm
from fulfillment import attention
from orders import payment_capture


class AttentionOrderOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    attention = serializers.CharField(help_text="Why the order needs attention")
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    modified_at = serializers.DateTimeField()


class PaymentStatusIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class NewPaymentIn(serializers.Serializer):
    card_number = serializers.CharField(max_length=23, help_text="Never stored or logged")
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100)
    cvv = serializers.CharField(max_length=4, help_text="Never stored or logged")


class NewPaymentOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PaymentAttentionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Orders needing payment attention (AVS review, failed captures); the actions on one."""

    lookup_value_converter = "int"  # a non-integer id is a 404, not a 500

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = AttentionOrderOut

    def get_queryset(self):
        return attention.orders_requiring_payment_attention()

    def _set(self, request, pk, *, authorized: bool) -> Response:
        reason = _valid(PaymentStatusIn, request.data)["reason"]
        order = payment_capture.set_payment_status(
            actor=request.user, order_id=int(pk), authorized=authorized, reason=reason
        )
        return Response(AttentionOrderOut(order).data)

    @extend_schema(
        request=PaymentStatusIn,
        responses={200: AttentionOrderOut},
        summary="Update the order to payment authorized (supervisors)",
    )
    @action(detail=True, methods=["post"])
    def authorize(self, request, pk=None):
        return self._set(request, pk, authorized=True)

    @extend_schema(
        request=PaymentStatusIn,
        responses={200: AttentionOrderOut},
        summary="Update the order to payment requires review (supervisors)",
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._set(request, pk, authorized=False)

    @extend_schema(
        request=NewPaymentIn,
        responses={201: NewPaymentOut},
        summary="Take a new card for what is still to be captured",
    )
    @action(detail=True, methods=["post"], url_path="new-payment")
    def new_payment(self, request, pk=None):
        data = _valid(NewPaymentIn, request.data)
        payment = attention.take_new_payment(actor=request.user, order_id=int(pk), **data)
        return Response(NewPaymentOut(payment).data, status=status.HTTP_201_CREATED)
