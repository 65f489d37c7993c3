"""REST API for quotes, under /api/v1/quotes/: thin adapters over orders.services.quotes and
orders.quotes_selectors.

POST /quotes/                 quote a cart (its prices frozen, its stock held)
GET  /quotes/, /quotes/{id}/  list (filters: status, customer_id, order_id) and detail
POST /quotes/{id}/convert/    submit the quoted cart (Idempotency-Key header)
POST /quotes/{id}/copy/       a new cart with the quote's items
POST /quotes/{id}/cancel/     cancel: the stock and promotion uses go back
POST /quotes/{id}/extend/     a new expiry, in days after the quote was made
GET  /quotes/report/          supervisors: open quotes by value
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ModelSerializer
from core.errors import NotAllowed, NotFound
from core.permissions import HasPerm
from core.roles import Perm
from orders import quotes_selectors as selectors
from orders.models import Order, Quote, QuoteLine, QuoteStatus
from orders.services import quotes as services


class QuoteCreateIn(serializers.Serializer):
    cart_id = serializers.IntegerField(min_value=1)
    days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=366,
        help_text="Days the quote holds (the store's default when left out; CSRs and "
        "supervisors each have a limit)",
    )  # fmt: skip
    version = serializers.IntegerField(
        required=False, allow_null=True, help_text="The cart's version it was based on"
    )


class QuoteFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=QuoteStatus.choices, required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1)
    order_id = serializers.IntegerField(required=False, min_value=1)


class ConvertIn(serializers.Serializer):
    confirmed_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True,
        help_text="After expiry: the repriced total the caller agreed to (from the 409's total)",
    )  # fmt: skip


class ExtendIn(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=366, help_text="Days after the quote was made (within the limit)"
    )


class QuoteCancelIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class QuoteLineOut(ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    name = serializers.CharField(source="sku.name")

    class Meta:
        model = QuoteLine
        fields = [
            "id", "line", "sku", "name", "quantity", "is_gift", "unit_price", "discount_total",
            "line_total", "held", "backorder_date",
        ]  # fmt: skip


class QuoteOut(ModelSerializer):
    cart_id = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number", allow_null=True)
    customer_id = serializers.IntegerField(source="order.customer_id", allow_null=True)
    time_left = serializers.SerializerMethodField()
    lines = QuoteLineOut(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id", "number", "status", "cart_id", "order_number", "customer_id", "expires_at",
            "time_left", "currency", "subtotal", "discount_total", "shipping_total", "tax_total",
            "total", "promotions", "email", "created_at", "closed_at", "lines",
        ]  # fmt: skip

    def get_time_left(self, quote) -> str:
        return selectors.time_left(quote) if quote.status == QuoteStatus.OPEN else ""


class QuoteListOut(QuoteOut):
    class Meta(QuoteOut.Meta):
        fields = [f for f in QuoteOut.Meta.fields if f != "lines"]


class ConvertOut(serializers.Serializer):
    placed = serializers.BooleanField()
    repeated = serializers.BooleanField()
    message = serializers.CharField()
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(allow_null=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class CopyOut(serializers.Serializer):
    cart_id = serializers.IntegerField()


class ReportOut(serializers.Serializer):
    count = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    quotes = QuoteListOut(many=True)


class ErrorOut(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField()


class RepricedOut(ErrorOut):
    total = serializers.CharField(help_text="The total now")
    quoted_total = serializers.CharField()
    diff = serializers.ListField(
        child=serializers.CharField(), help_text='What changed: "Spring sale ended: +4.20"'
    )


def _err(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorOut, description=description)


E400 = _err("Invalid input, or the action is refused (message and field)")
E403 = _err("Not signed in, or the role may not do this")
E404 = _err("No such quote or cart")
E409 = _err("The quote's status does not allow this, or the cart changed (stale version)")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _quote_or_404(pk) -> Quote:
    quote = selectors.quote_get(pk)
    if quote is None:
        raise NotFound("No such quote.")
    return quote


class QuoteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    lookup_value_converter = "int"

    def get_serializer_class(self):
        return QuoteListOut if self.action in ("list", "report") else QuoteOut

    def get_queryset(self):
        filters = _valid(QuoteFilterIn, self.request.query_params)
        return selectors.quote_list(**filters)

    @extend_schema(
        parameters=[QuoteFilterIn],
        responses={200: QuoteListOut(many=True), 400: E400, 403: E403},
        summary="Quotes, soonest to expire first",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={200: QuoteOut, 403: E403, 404: E404}, summary="A quote with its lines"
    )
    def retrieve(self, request, pk=None):
        return Response(QuoteOut(_quote_or_404(pk)).data)

    @extend_schema(
        request=QuoteCreateIn,
        responses={201: QuoteOut, 400: E400, 403: E403, 404: E404, 409: E409},
        summary="Quote a cart: prices frozen, stock held, the customer e-mailed",
    )
    def create(self, request):
        data = _valid(QuoteCreateIn, request.data)
        cart = Order.objects.filter(pk=data["cart_id"]).first()
        if cart is None:
            raise NotFound("No such cart.", field="cart_id")
        quote = services.quote_create(
            actor=request.user, order=cart, days=data.get("days"), version=data.get("version")
        )
        return Response(QuoteOut(_quote_or_404(quote.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ConvertIn,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="One key per convert; a retry with the same key gets the same answer",
            )
        ],
        responses={
            201: ConvertOut,
            200: OpenApiResponse(ConvertOut, description="A repeat of an earlier convert"),
            202: OpenApiResponse(ConvertOut, description="Submitted; the payment awaits review"),
            400: E400,
            402: OpenApiResponse(ConvertOut, description="Payment declined; the quote stays"),
            403: E403,
            404: E404,
            409: OpenApiResponse(
                RepricedOut,
                description="Expired: repriced, confirm the new total (or the status or the "
                "total changed)",
            ),
        },
        summary="Convert the quote to an order (the cart's submit)",
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        data = _valid(ConvertIn, request.data)
        quote = _quote_or_404(pk)
        result = services.quote_convert(
            actor=request.user,
            quote=quote,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            confirmed_total=data.get("confirmed_total"),
        )
        body = {
            "placed": result.placed,
            "repeated": result.repeated,
            "message": result.message,
            "order_id": result.order.pk,
            "order_number": result.order.number,
            "total": result.order.total,
        }
        if result.placed:
            code = status.HTTP_200_OK if result.repeated else status.HTTP_201_CREATED
        elif result.order.status == "pending":
            code = status.HTTP_402_PAYMENT_REQUIRED
        else:
            code = status.HTTP_202_ACCEPTED
        return Response(ConvertOut(body).data, status=code)

    @extend_schema(
        request=None,
        responses={201: CopyOut, 400: E400, 403: E403, 404: E404},
        summary="A new cart with the quote's items",
    )
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        cart = services.quote_copy(actor=request.user, quote=_quote_or_404(pk))
        return Response({"cart_id": cart.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=QuoteCancelIn,
        responses={200: QuoteOut, 400: E400, 403: E403, 404: E404, 409: E409},
        summary="Cancel the quote: its stock and promotion uses go back",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = _valid(QuoteCancelIn, request.data)
        quote = services.quote_cancel(
            actor=request.user, quote=_quote_or_404(pk), reason=data["reason"]
        )
        return Response(QuoteOut(_quote_or_404(quote.pk)).data)

    @extend_schema(
        request=ExtendIn,
        responses={200: QuoteOut, 400: E400, 403: E403, 404: E404},
        summary="Change an open quote's expiry (within the role's limit)",
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = _valid(ExtendIn, request.data)
        quote = services.quote_extend(
            actor=request.user, quote=_quote_or_404(pk), days=data["days"]
        )
        return Response(QuoteOut(_quote_or_404(quote.pk)).data)

    @extend_schema(
        responses={200: ReportOut, 403: E403},
        summary="Supervisors: open quotes by value, largest first",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def report(self, request):
        if not request.user.has_perm(Perm.SUPERVISE):
            raise NotAllowed("The open quotes report is for supervisors.")
        quotes, summary = selectors.open_quotes_by_value()
        return Response(
            ReportOut({"count": summary["count"], "value": summary["value"], "quotes": quotes}).data
        )
