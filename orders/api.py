"""REST API for carts and orders: thin adapters over orders.services and orders.selectors.

/api/v1/carts/   create a cart, then lines, ship-tos, shipping methods, billing, payment,
                 promotion codes, adjustments, comments; submit with an Idempotency-Key header.
/api/v1/orders/  find orders (and parked carts) with filters; an order's detail.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.models import SKU
from core.api import ModelSerializer, column_length, id_field
from core.errors import DomainError, NotFound
from core.permissions import HasPerm
from core.roles import Perm
from customers.models import Customer
from orders import integrations as ext
from orders import selectors, services
from orders.models import (
    Order,
    OrderAddress,
    OrderEvent,
    OrderLine,
    OrderPayment,
    OrderStatus,
    PaymentStatus,
)
from pricing.models import OrderAdjustment, Promotion, ShippingMethod

# --- input -----------------------------------------------------------------------------------


def _length(field_name: str, model=OrderAddress) -> int:
    return column_length(model, field_name)


class AddressIn(serializers.Serializer):
    nickname = serializers.CharField(
        max_length=_length("nickname"), required=False, allow_blank=True
    )
    first_name = serializers.CharField(max_length=_length("first_name"))
    last_name = serializers.CharField(max_length=_length("last_name"))
    line1 = serializers.CharField(max_length=_length("line1"))
    line2 = serializers.CharField(max_length=_length("line2"), required=False, allow_blank=True)
    city = serializers.CharField(max_length=_length("city"))
    region = serializers.CharField(max_length=_length("region"), required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=_length("postal_code"))
    country = serializers.CharField(max_length=2, help_text="ISO code, one the store ships to")
    phone = serializers.CharField(max_length=_length("phone"), required=False, allow_blank=True)

    def validate_country(self, value: str) -> str:
        code = value.strip().upper()
        if code not in settings.STORE_COUNTRIES:
            raise serializers.ValidationError(
                f"The store ships to {', '.join(settings.STORE_COUNTRIES)} only."
            )
        return code


class GuestIn(serializers.Serializer):
    first_name = serializers.CharField(
        max_length=_length("guest_first_name", Order), required=False, allow_blank=True
    )
    last_name = serializers.CharField(
        max_length=_length("guest_last_name", Order), required=False, allow_blank=True
    )
    email = serializers.EmailField(
        max_length=_length("guest_email", Order), required=False, allow_blank=True
    )
    phone = serializers.CharField(
        max_length=_length("guest_phone", Order), required=False, allow_blank=True
    )


class CartCreateIn(serializers.Serializer):
    customer_id = id_field(required=False, help_text="Omit for a guest cart")
    guest = GuestIn(required=False)


class VersionIn(serializers.Serializer):
    # Required: a write without the version it was based on would be last-writer-wins.
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The cart version you read; a stale one gets 409",
    )


class LineIn(VersionIn):
    sku = serializers.CharField(max_length=_length("code", SKU), help_text="SKU code")
    quantity = serializers.IntegerField(min_value=1, max_value=9999, default=1)
    ship_to = id_field(required=False)


class LineUpdateIn(VersionIn):
    quantity = serializers.IntegerField(min_value=1, max_value=9999, required=False)
    ship_to = id_field(required=False)


class ShipToIn(VersionIn):
    address = AddressIn(required=False)
    address_id = id_field(required=False, help_text="From the address book")
    save_to_book = serializers.BooleanField(default=False)
    shipping_method = serializers.CharField(
        max_length=_length("code", ShippingMethod), required=False, help_text="Shipping method code"
    )
    assign_lines = serializers.BooleanField(default=False, help_text="Move every line here")


class ShippingMethodIn(VersionIn):
    shipping_method = serializers.CharField(
        max_length=_length("code", ShippingMethod), help_text="Shipping method code"
    )


class BillingIn(VersionIn):
    address = AddressIn(required=False)
    address_id = id_field(required=False)


class PaymentIn(VersionIn):
    payment_method_id = id_field(required=False, help_text="A stored card")
    card_number = serializers.CharField(
        max_length=30, required=False, help_text="Never stored or logged"
    )
    exp_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    # A card expires within a few decades; the column is a smallint.
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    cvv = serializers.CharField(max_length=4, required=False, help_text="Never stored or logged")
    save_card = serializers.BooleanField(default=False)


class StoreCreditIn(VersionIn):
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text="Store credit to use on the order (0 takes it off); the card pays the rest",
    )


class CodeIn(VersionIn):
    code = serializers.CharField(max_length=_length("code", Promotion))


class CouponIn(VersionIn):
    coupon_id = id_field()


class AdjustmentIn(VersionIn):
    kind = serializers.CharField(max_length=_length("kind", OrderAdjustment))
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason_code = serializers.CharField(max_length=_length("reason_code", OrderAdjustment))
    comment = serializers.CharField(
        max_length=_length("comment", OrderAdjustment),
        required=False,
        allow_blank=True,
        default="",
    )
    line_id = id_field(required=False)
    supervisor_username = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default=""
    )
    supervisor_password = serializers.CharField(
        max_length=128, required=False, allow_blank=True, default=""
    )


class CommentIn(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    email_customer = serializers.BooleanField(default=False)


class AtpIn(VersionIn):
    atp_choice = serializers.CharField(
        max_length=_length("atp_choice", Order),
        help_text="ship_complete | ship_available_first | ship_available_drop",
    )


class SubmitIn(serializers.Serializer):
    expected_total = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="The total the customer agreed to (required unless accept_price_changes); "
        "if it changed, 409 `prices_changed` with the new total and what changed",
    )
    accept_price_changes = serializers.BooleanField(
        default=False,
        help_text="Place the order at whatever the total is now, without expected_total",
    )

    def validate(self, attrs):
        if attrs.get("expected_total") is None and not attrs["accept_price_changes"]:
            raise serializers.ValidationError(
                {
                    "expected_total": "Send the total the customer agreed to, or "
                    "accept_price_changes: true to place the order at the current total."
                }
            )
        return attrs


# --- output ----------------------------------------------------------------------------------


class AddressOut(ModelSerializer):
    country = serializers.CharField()
    kind = serializers.CharField(help_text="shipping | billing")
    shipping_method = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = OrderAddress
        fields = [
            "id",
            "kind",
            "nickname",
            "first_name",
            "last_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "shipping_method",
        ]


class LineOut(ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    name = serializers.CharField(source="sku.name")
    inventory_status = serializers.CharField(
        help_text="unallocated | allocated | backordered | released | shipped | canceled"
    )

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "name",
            "quantity",
            "ship_to",
            "is_gift",
            "unit_price",
            "discount_total",
            "line_total",
            "inventory_status",
        ]


class PaymentOut(ModelSerializer):
    status = serializers.CharField(
        help_text="selected | authorized | review | declined | error | voided | captured"
    )

    class Meta:
        model = OrderPayment
        fields = ["id", "brand", "last4", "exp_month", "exp_year", "status", "amount", "reason"]


ORDER_STATUS_HELP = ", ".join(OrderStatus.values)


class OrderListOut(ModelSerializer):
    status = serializers.CharField(help_text=ORDER_STATUS_HELP)
    customer_logon_id = serializers.CharField(
        source="customer.logon_id", default=None, allow_null=True, help_text="None for a guest"
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "customer",
            "customer_logon_id",
            "guest_last_name",
            "guest_email",
            "currency",
            "total",
            "created_at",
            "modified_at",
            "submitted_at",
        ]


class OrderOut(ModelSerializer):
    status = serializers.CharField(help_text=ORDER_STATUS_HELP)
    atp_choice = serializers.CharField(
        help_text="ship_complete | ship_available_first | ship_available_drop"
    )
    lines = LineOut(many=True, read_only=True)
    addresses = AddressOut(many=True, read_only=True)
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "version",
            "customer",
            "guest_first_name",
            "guest_last_name",
            "guest_email",
            "guest_phone",
            "currency",
            "atp_choice",
            "current_ship_to",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "store_credit_amount",
            "exchange_for",
            "attention",
            "lines",
            "addresses",
            "payment",
            "pricing_detail",
            "created_at",
            "modified_at",
            "submitted_at",
        ]

    @extend_schema_field(PaymentOut(allow_null=True))
    def get_payment(self, order) -> dict | None:
        payments = [
            p
            for p in order.payments.all()
            if p.status not in (PaymentStatus.REPLACED, PaymentStatus.VOIDED)
        ]
        return PaymentOut(payments[0]).data if payments else None


class SubmitOut(serializers.Serializer):
    placed = serializers.BooleanField()
    repeated = serializers.BooleanField()
    message = serializers.CharField()
    order = OrderOut()


# --- views -----------------------------------------------------------------------------------


def _answer_prefetches() -> list[Prefetch]:
    """What OrderOut reads besides the order (which names its customer by id: no customer
    row)."""
    return [
        Prefetch("lines", queryset=OrderLine.objects.select_related("sku")),
        Prefetch("addresses", queryset=OrderAddress.objects.select_related("shipping_method")),
        Prefetch("payments", queryset=OrderPayment.objects.order_by("-id")),
    ]


def _order_queryset():
    return Order.objects.prefetch_related(*_answer_prefetches())


def _out(order_id, code=status.HTTP_200_OK) -> Response:
    return Response(OrderOut(_order_queryset().get(pk=order_id)).data, status=code)


def _out_of(order: Order, code=status.HTTP_200_OK) -> Response:
    """The answer from the order as the service left it in memory, claimed and repriced (as the
    desk draws it): its lines, addresses and card are read, not the order again."""
    prefetch_related_objects([order], *_answer_prefetches())
    return Response(OrderOut(order).data, status=code)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _address_or_id(data: dict) -> tuple[dict | None, int | None]:
    """Ship-to and billing take a new address or one from the address book, not neither."""
    if not data.get("address") and not data.get("address_id"):
        raise DomainError("Give an address or an address_id.", field="address")
    return (dict(data["address"]) if data.get("address") else None), data.get("address_id")


CART_OUT = {200: OrderOut, 201: OrderOut}


class CartViewSet(viewsets.GenericViewSet):
    """Carts (pending orders). Every change reprices and needs the `version` it was based on
    (400 without it, 409 when someone changed the cart since)."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = OrderOut
    lookup_value_converter = "int"

    def get_queryset(self):
        return _order_queryset().filter(status=OrderStatus.PENDING)

    def _cart(self, pk) -> Order:
        order = Order.objects.filter(pk=pk).first()
        if order is None:
            raise NotFound("No such cart.")
        return order

    @extend_schema(request=CartCreateIn, responses={201: OrderOut}, summary="Create a cart")
    def create(self, request):
        data = _valid(CartCreateIn, request.data)
        customer = None
        if data.get("customer_id"):
            customer = Customer.objects.filter(pk=data["customer_id"]).first()
            if customer is None:
                raise NotFound("No such customer.", field="customer_id")
        order = services.cart_create(
            actor=request.user, customer=customer, guest=dict(data.get("guest") or {})
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        responses=OrderOut,
        summary="A cart with its lines, ship-tos and totals",
        description="Reading a cart prices it again when a rule changed or it was last priced "
        "over CART_REPRICE_AFTER_SECONDS ago (and re-holds stock a sweep released): the totals "
        "are current; its version moves when they changed.",
    )
    def retrieve(self, request, pk=None):
        order = self._cart(pk)
        services.cart_reopen(actor=request.user, order=order)
        return _out(order.pk)

    @extend_schema(request=LineIn, responses={201: OrderOut}, summary="Add a SKU")
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        data = _valid(LineIn, request.data)
        line = services.line_add(
            actor=request.user,
            order=Order(pk=pk),  # the service claims and loads it (404 when there is none)
            sku_code=data["sku"],
            quantity=data["quantity"],
            ship_to_id=data.get("ship_to"),
            version=data["version"],
        )
        return _out_of(line.order, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"], request=LineUpdateIn, responses=OrderOut, summary="Change a line"
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[VersionIn],
        responses=OrderOut,
        summary="Remove a line",
    )
    @action(detail=True, methods=["patch", "delete"], url_path="lines/<int:line_id>")
    def line(self, request, pk=None, line_id=None):
        order = self._cart(pk)
        if request.method == "DELETE":
            services.line_remove(
                actor=request.user,
                order=order,
                line_id=int(line_id),
                version=_valid(VersionIn, request.query_params)["version"],
            )
        else:
            data = _valid(LineUpdateIn, request.data)
            services.line_update(
                actor=request.user,
                order=order,
                line_id=int(line_id),
                quantity=data.get("quantity"),
                ship_to_id=data.get("ship_to"),
                version=data["version"],
            )
        return _out(order.pk)

    @extend_schema(request=ShipToIn, responses={201: OrderOut}, summary="Add a ship-to address")
    @action(detail=True, methods=["post"], url_path="ship-tos")
    def ship_tos(self, request, pk=None):
        data = _valid(ShipToIn, request.data)
        address, address_id = _address_or_id(data)
        order = self._cart(pk)
        services.ship_to_add(
            actor=request.user,
            order=order,
            address=address,
            address_id=address_id,
            save_to_book=data["save_to_book"],
            shipping_method_code=data.get("shipping_method"),
            assign_lines=data["assign_lines"],
            version=data["version"],
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=ShippingMethodIn, responses=OrderOut, summary="Shipping method of a ship-to"
    )
    @action(
        detail=True,
        methods=["put"],
        url_path="ship-tos/<int:ship_to_id>/shipping-method",
    )
    def shipping_method(self, request, pk=None, ship_to_id=None):
        data = _valid(ShippingMethodIn, request.data)
        order = self._cart(pk)
        services.shipping_method_set(
            actor=request.user,
            order=order,
            ship_to_id=int(ship_to_id),
            method_code=data["shipping_method"],
            version=data["version"],
        )
        return _out(order.pk)

    @extend_schema(request=BillingIn, responses=OrderOut, summary="Billing address")
    @action(detail=True, methods=["put"], url_path="billing-address")
    def billing_address(self, request, pk=None):
        data = _valid(BillingIn, request.data)
        address, address_id = _address_or_id(data)
        order = self._cart(pk)
        services.billing_address_set(
            actor=request.user,
            order=order,
            address=address,
            address_id=address_id,
            version=data["version"],
        )
        return _out(order.pk)

    @extend_schema(request=PaymentIn, responses=OrderOut, summary="Stored card or a new card")
    @action(detail=True, methods=["put"])
    def payment(self, request, pk=None):
        data = _valid(PaymentIn, request.data)
        order = self._cart(pk)
        if data.get("payment_method_id"):
            services.payment_set_stored(
                actor=request.user,
                order=order,
                payment_method_id=data["payment_method_id"],
                version=data["version"],
            )
        else:
            services.payment_set_card(
                actor=request.user,
                order=order,
                card_number=data.get("card_number", ""),
                exp_month=data.get("exp_month"),
                exp_year=data.get("exp_year"),
                cvv=data.get("cvv", ""),
                save_to_customer=data["save_card"],
                version=data["version"],
            )
        return _out(order.pk)

    @extend_schema(
        request=StoreCreditIn, responses=OrderOut, summary="Pay part or all with store credit"
    )
    @action(detail=True, methods=["put"], url_path="store-credit")
    def store_credit(self, request, pk=None):
        data = _valid(StoreCreditIn, request.data)
        order = self._cart(pk)
        services.payment_set_store_credit(
            actor=request.user, order=order, amount=data["amount"], version=data["version"]
        )
        return _out(order.pk)

    @extend_schema(request=CodeIn, responses={201: OrderOut}, summary="Enter a promotion code")
    @action(detail=True, methods=["post"])
    def codes(self, request, pk=None):
        data = _valid(CodeIn, request.data)
        order = self._cart(pk)
        services.promotion_code_enter(
            actor=request.user, order=order, code=data["code"], version=data["version"]
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        parameters=[VersionIn],
        responses=OrderOut,
        summary="Remove a promotion code",
    )
    @action(detail=True, methods=["delete"], url_path="codes/<str:code>")
    def code(self, request, pk=None, code=None):
        version = _valid(VersionIn, request.query_params)["version"]
        order = self._cart(pk)
        services.promotion_code_remove(actor=request.user, order=order, code=code, version=version)
        return _out(order.pk)

    @extend_schema(request=CouponIn, responses={201: OrderOut}, summary="Redeem a wallet coupon")
    @action(detail=True, methods=["post"])
    def coupons(self, request, pk=None):
        data = _valid(CouponIn, request.data)
        order = self._cart(pk)
        services.coupon_redeem(
            actor=request.user,
            order=order,
            coupon_id=data["coupon_id"],
            version=data["version"],
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=AdjustmentIn,
        responses={201: OrderOut},
        summary="CSR adjustment (role limits; supervisor credentials for over-limit)",
    )
    @action(detail=True, methods=["post"])
    def adjustments(self, request, pk=None):
        data = _valid(AdjustmentIn, request.data)
        order = self._cart(pk)
        services.adjustment_add(
            actor=request.user,
            order=order,
            kind=data["kind"],
            value=data["value"],
            reason_code=data["reason_code"],
            comment=data["comment"],
            line_id=data.get("line_id"),
            supervisor_username=data["supervisor_username"],
            supervisor_password=data["supervisor_password"],
            version=data["version"],
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(request=AtpIn, responses=OrderOut, summary="Availability (ATP) choice")
    @action(detail=True, methods=["put"])
    def atp(self, request, pk=None):
        data = _valid(AtpIn, request.data)
        order = self._cart(pk)
        services.atp_choice_set(
            actor=request.user, order=order, choice=data["atp_choice"], version=data["version"]
        )
        return _out(order.pk)

    @extend_schema(request=CommentIn, responses={201: OrderOut}, summary="Comment")
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        data = _valid(CommentIn, request.data)
        order = self._cart(pk)
        services.comment_add(
            actor=request.user,
            order=order,
            text=data["text"],
            email_customer=data["email_customer"],
        )
        return _out(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=SubmitIn,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="One key per submit; a retry with the same key gets the same answer",
            )
        ],
        responses={
            201: SubmitOut,
            200: OpenApiResponse(SubmitOut, description="A repeat of an earlier submit"),
            202: OpenApiResponse(
                SubmitOut, description="Submitted; the payment awaits review before it is placed"
            ),
            402: OpenApiResponse(SubmitOut, description="Payment declined; the cart is pending"),
        },
        summary="Submit the cart (exactly once per Idempotency-Key)",
        description="409 `prices_changed` when the total moved since `expected_total` (the body "
        "has `total`, `previous_total` and `changes`, one sentence per discount that moved); "
        "409 `approval_needed` when an adjustment awaits a supervisor (the card is not touched).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = _valid(SubmitIn, request.data)
        order = self._cart(pk)
        result = services.submit_order(
            actor=request.user,
            order=order,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            expected_total=data.get("expected_total"),
        )
        body = {
            "placed": result.placed,
            "repeated": result.repeated,
            "message": result.message,
            "order": OrderOut(_order_queryset().get(pk=order.pk)).data,
        }
        if result.placed:
            code = status.HTTP_200_OK if result.repeated else status.HTTP_201_CREATED
        elif result.order.status == OrderStatus.PENDING:
            code = status.HTTP_402_PAYMENT_REQUIRED
        else:
            code = status.HTTP_202_ACCEPTED
        return Response(body, status=code)


def _text_filter(help_text: str) -> serializers.CharField:
    # NUL characters and over-long values are a 400 (CharField's validators), as in customers.
    return serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=help_text
    )


class OrderFilterIn(serializers.Serializer):
    q = _text_filter("Number, logon ID, name, e-mail or phone")
    number = _text_filter("Order number")
    logon_id = _text_filter("Customer logon ID")
    first_name = _text_filter("First name")
    last_name = _text_filter("Last name")
    email = _text_filter("E-mail")
    phone = _text_filter("Phone")
    postal_code = _text_filter("Postal code")
    street = _text_filter("Street (ship-to or billing address)")
    city = _text_filter("City")
    sku = _text_filter("SKU code on one of the order's lines")
    status = _text_filter(ORDER_STATUS_HELP)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)
    modified_from = serializers.DateField(required=False)
    modified_to = serializers.DateField(required=False)


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Find orders and parked carts; an order with lines, payments and totals."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    filter_backends: list = []
    lookup_value_converter = "int"

    def get_serializer_class(self):
        return OrderListOut if self.action == "list" else OrderOut

    def get_queryset(self):
        if self.action != "list":
            return _order_queryset()
        filters = _valid(OrderFilterIn, self.request.query_params)
        kwargs = {k: v for k, v in filters.items() if v}
        kwargs["query"] = kwargs.pop("q", None)
        return selectors.order_search(**kwargs)

    @extend_schema(parameters=[OrderFilterIn])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


# --- after submit: cancel, reorder, split backorders, history; a cart's discounts -----------


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class EventOut(ModelSerializer):
    event = serializers.CharField(source="event_label")
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = OrderEvent
        fields = ["id", "event_type", "event", "actor", "occurred_at", "data"]


class AdjustmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason_code = serializers.CharField()
    comment = serializers.CharField()
    status = serializers.CharField(help_text="pending | approved | rejected")
    line = serializers.IntegerField(source="line_id", allow_null=True)


class CouponOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()


class DiscountsOut(serializers.Serializer):
    adjustments = AdjustmentOut(many=True)
    coupons = CouponOut(many=True)


def _order_or_404(pk) -> Order:
    order = Order.objects.filter(pk=pk).first()
    if order is None:
        raise NotFound("No such order.")
    return order


class OrderActionViewSet(viewsets.GenericViewSet):
    """What is done to an order after submit: cancel, reorder, split backorders; its history."""

    lookup_value_converter = "int"  # a non-integer id is a 404, not a 500

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = OrderOut

    def get_queryset(self):
        return _order_queryset()

    @extend_schema(request=CancelIn, responses={200: OrderOut}, summary="Cancel an order")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = _valid(CancelIn, request.data)
        order = services.cancel_order(
            actor=request.user, order=_order_or_404(pk), reason=data["reason"]
        )
        return _out(order.pk)

    @extend_schema(
        request=None, responses={201: OrderOut}, summary="Create a cart from an order (reorder)"
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        cart = services.reorder(actor=request.user, order=_order_or_404(pk))
        return _out(cart.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={201: OrderOut},
        summary="Move the backordered quantities to a new order",
    )
    @action(detail=True, methods=["post"], url_path="split-backorders")
    def split_backorders(self, request, pk=None):
        new_order = services.backorders_move(actor=request.user, order=_order_or_404(pk))
        return _out(new_order.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: EventOut(many=True)}, summary="The order's history")
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole timeline
    def history(self, request, pk=None):
        events = selectors.order_history(_order_or_404(pk))
        return Response(EventOut(events, many=True).data)


class CartDiscountViewSet(viewsets.GenericViewSet):
    """A cart's CSR adjustments and coupons: list them, remove one (the cart is repriced)."""

    lookup_value_converter = "int"  # a non-integer id is a 404, not a 500

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = DiscountsOut

    def get_queryset(self):
        return Order.objects.filter(status=OrderStatus.PENDING)

    @extend_schema(responses={200: DiscountsOut}, summary="A cart's adjustments and coupons")
    @action(detail=True, methods=["get"])
    def discounts(self, request, pk=None):
        order = _order_or_404(pk)
        body = {"adjustments": ext.order_adjustments(order), "coupons": ext.order_coupons(order)}
        return Response(DiscountsOut(body).data)

    @extend_schema(
        request=None,
        responses={200: OrderOut},
        parameters=[OpenApiParameter("version", OpenApiTypes.INT)],
        summary="Remove a CSR adjustment from a cart",
    )
    @action(detail=True, methods=["delete"], url_path="adjustments/<int:adjustment_id>")
    def adjustment(self, request, pk=None, adjustment_id=None):
        order = services.adjustment_remove(
            actor=request.user,
            order=_order_or_404(pk),
            adjustment_id=int(adjustment_id),
            version=_version(request),
        )
        return _out(order.pk)

    @extend_schema(
        request=None,
        responses={200: OrderOut},
        parameters=[OpenApiParameter("version", OpenApiTypes.INT)],
        summary="Take a coupon off a cart",
    )
    @action(detail=True, methods=["delete"], url_path="coupons/<int:coupon_id>")
    def coupon(self, request, pk=None, coupon_id=None):
        order = services.coupon_remove(
            actor=request.user,
            order=_order_or_404(pk),
            coupon_id=int(coupon_id),
            version=_version(request),
        )
        return _out(order.pk)


def _version(request) -> int | None:
    raw = request.query_params.get("version", "")
    if raw and not raw.isdigit():
        raise DomainError("The version is a whole number.", field="version")
    return int(raw) if raw else None
