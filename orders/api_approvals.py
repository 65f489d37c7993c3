"""API of the supervisors' approval queue: adjustments over a CSR's limit, approved (orders
reprices the cart, so approval is an orders service) or rejected (pricing's). The same decisions
as the Approvals screen."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ModelSerializer
from core.errors import NotFound
from core.permissions import HasPerm
from core.roles import Perm
from orders import services as order_services
from pricing import models as m
from pricing import selectors, services


class PendingAdjustmentOut(ModelSerializer):
    order = serializers.IntegerField(source="order_id")
    status = serializers.CharField(help_text="pending | approved | rejected")
    line = serializers.IntegerField(source="line_id", allow_null=True)
    requested_by = serializers.CharField(source="requested_by.get_username")
    approved_by = serializers.CharField(
        source="approved_by.get_username", allow_null=True, default=None
    )

    class Meta:
        model = m.OrderAdjustment
        fields = [
            "id",
            "order",
            "line",
            "kind",
            "value",
            "reason_code",
            "comment",
            "status",
            "requested_by",
            "approved_by",
            "created_at",
            "decided_at",
        ]


class RejectIn(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AdjustmentApprovalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Adjustments waiting for a supervisor; approve or reject one."""

    lookup_value_converter = "int"  # a non-integer id is a 404, not a 500

    permission_classes = [HasPerm.of(Perm.SUPERVISE)]
    serializer_class = PendingAdjustmentOut
    pagination_class = None

    def get_queryset(self):
        return selectors.pending_adjustments()

    def _adjustment(self, pk) -> m.OrderAdjustment:
        adjustment = m.OrderAdjustment.objects.filter(pk=pk).first()
        if adjustment is None:
            raise NotFound("No such adjustment.")
        return adjustment

    @extend_schema(request=None, responses={200: PendingAdjustmentOut})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        adjustment = order_services.adjustment_approve(
            actor=request.user, adjustment_id=self._adjustment(pk).pk
        )
        return Response(PendingAdjustmentOut(adjustment).data)

    @extend_schema(request=RejectIn, responses={200: PendingAdjustmentOut})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = RejectIn(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = services.reject_adjustment(
            adjustment_id=self._adjustment(pk).pk,
            actor=request.user,
            comment=data.validated_data["comment"],
        )
        return Response(PendingAdjustmentOut(adjustment).data)
