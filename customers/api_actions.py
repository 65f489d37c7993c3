"""API of the Customer page's actions: reset password, enable / disable, stored cards and
member groups, each one of customers' services (audited there), like the screen's buttons."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ModelSerializer
from core.permissions import HasPerm
from core.roles import Perm
from customers import services
from customers.api import CustomerSerializer, PaymentMethodSerializer
from customers.models import Customer, PaymentMethod, Segment


class DisableIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CardIn(serializers.Serializer):
    card_number = serializers.CharField(max_length=23, help_text="Never stored or logged")
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100)
    cvv = serializers.CharField(max_length=4, help_text="Never stored or logged")
    is_default = serializers.BooleanField(required=False, allow_null=True, default=None)


class SegmentOut(ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "code", "name"]


class SegmentIn(serializers.Serializer):
    segment = serializers.SlugField(help_text="The member group's code")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CustomerActionViewSet(viewsets.GenericViewSet):
    """Reset password, enable / disable, stored cards and member groups of a customer."""

    lookup_value_converter = "int"  # a non-integer id is a 404, not a 500

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = CustomerSerializer
    queryset = Customer.objects.all()

    def _customer(self, pk) -> Customer:
        return get_object_or_404(Customer, pk=pk)

    def _fresh(self, pk) -> Response:
        return Response(CustomerSerializer(self._customer(pk)).data)

    @extend_schema(
        request=None,
        responses={202: None},
        summary="Reset the password: the old one stops working, a link is e-mailed",
    )
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, pk=None):
        services.customer_reset_password(actor=request.user, customer=self._customer(pk))
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=DisableIn, responses={200: CustomerSerializer})
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        data = _valid(DisableIn, request.data)
        services.customer_disable(
            actor=request.user, customer=self._customer(pk), reason=data["reason"]
        )
        return self._fresh(pk)

    @extend_schema(request=None, responses={200: CustomerSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        services.customer_enable(actor=request.user, customer=self._customer(pk))
        return self._fresh(pk)

    @extend_schema(
        methods=["get"], responses={200: PaymentMethodSerializer(many=True)}, summary="Stored cards"
    )
    @extend_schema(
        methods=["post"],
        request=CardIn,
        responses={201: PaymentMethodSerializer},
        summary="Store a card (tokenized by the gateway)",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list
    def cards(self, request, pk=None):
        customer = self._customer(pk)
        if request.method == "GET":
            methods = PaymentMethod.objects.filter(customer=customer)
            return Response(PaymentMethodSerializer(methods, many=True).data)
        data = _valid(CardIn, request.data)
        method = services.payment_method_add_card(actor=request.user, customer=customer, **data)
        return Response(PaymentMethodSerializer(method).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Remove a stored card")
    @action(detail=True, methods=["delete"], url_path="cards/<int:card_id>")
    def card(self, request, pk=None, card_id=None):
        method = get_object_or_404(PaymentMethod, pk=card_id, customer_id=pk)
        services.payment_method_remove(actor=request.user, payment_method=method)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None, responses={200: PaymentMethodSerializer}, summary="Make a card the default"
    )
    @action(detail=True, methods=["post"], url_path="cards/<int:card_id>/default")
    def card_default(self, request, pk=None, card_id=None):
        method = get_object_or_404(PaymentMethod, pk=card_id, customer_id=pk)
        method = services.payment_method_set_default(actor=request.user, payment_method=method)
        return Response(PaymentMethodSerializer(method).data)

    @extend_schema(methods=["get"], responses={200: SegmentOut(many=True)}, summary="Groups")
    @extend_schema(
        methods=["post"], request=SegmentIn, responses={200: SegmentOut(many=True)}, summary="Join"
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list
    def segments(self, request, pk=None):
        customer = self._customer(pk)
        if request.method == "POST":
            code = _valid(SegmentIn, request.data)["segment"]
            segment = get_object_or_404(Segment, code=code)
            services.segment_add(actor=request.user, customer=customer, segment=segment)
        return Response(SegmentOut(customer.segments.all(), many=True).data)

    @extend_schema(request=None, responses={204: None}, summary="Leave a member group")
    @action(detail=True, methods=["delete"], url_path="segments/<slug:code>")
    def segment(self, request, pk=None, code=None):
        segment = get_object_or_404(Segment, code=code)
        services.segment_remove(actor=request.user, customer=self._customer(pk), segment=segment)
        return Response(status=status.HTTP_204_NO_CONTENT)
