"""The auctions API: store admins create and schedule auctions, CSRs bid for customers,
supervisors withdraw bids and force-close, CSRs retry failed winning bids.

Views are adapters: validate input, call one service or selector, serialize the result. The
services check the roles again (the same checks as the screens).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from auctions import closing, selectors, services
from auctions.models import Auction, AuctionStatus, AuctionType, Bid, ClosingRule
from core.api import ModelSerializer
from core.errors import NotFound
from core.permissions import HasPerm
from core.roles import Perm


class DeskOrStore(BasePermission):
    """CSRs see auctions to bid on; store admins see the ones they run."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_perm(str(Perm.USE_DESK)) or user.has_perm(str(Perm.MANAGE_STORE)))
        )


MONEY = {"max_digits": 14, "decimal_places": 2}


class BidSerializer(ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="active, replaced, withdrawn, ...")
    customer_name = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = [
            "id",
            "auction",
            "customer",
            "customer_name",
            "price",
            "max_price",
            "is_autobid",
            "quantity",
            "accept_partial",
            "ship_to",
            "payment_method",
            "status",
            "placed_at",
            "withdrawn_reason",
            "won_quantity",
            "won_price",
            "order",
            "order_error",
        ]

    def get_customer_name(self, bid) -> str:
        return f"{bid.customer.first_name} {bid.customer.last_name}"


class AuctionSerializer(ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    center = serializers.CharField(source="center.code", read_only=True)
    status = serializers.CharField(read_only=True, help_text=", ".join(AuctionStatus.values))
    time_left = serializers.SerializerMethodField()
    minimum_next_bid = serializers.SerializerMethodField()

    class Meta:
        model = Auction
        fields = [
            "id",
            "title",
            "sku",
            "center",
            "quantity",
            "auction_type",
            "currency",
            "minimum_bid",
            "minimum_quantity",
            "reserve_price",
            "increments",
            "starts_at",
            "ends_at",
            "closing_rule",
            "extend_minutes",
            "status",
            "reserved_quantity",
            "current_price",
            "leading_bid",
            "bid_count",
            "clearing_price",
            "closed_at",
            "time_left",
            "minimum_next_bid",
        ]

    def get_time_left(self, auction) -> str:
        return selectors.time_left_label(auction)

    def get_minimum_next_bid(self, auction) -> str:
        return str(services.minimum_next_bid(auction))


class AuctionCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    sku = serializers.CharField(max_length=60)
    center = serializers.CharField(max_length=10)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    auction_type = serializers.ChoiceField(choices=AuctionType.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    minimum_bid = serializers.DecimalField(**MONEY, min_value=0, default="0.01")
    minimum_quantity = serializers.IntegerField(min_value=1, default=1)
    reserve_price = serializers.DecimalField(**MONEY, min_value=0, required=False, allow_null=True)
    increments = serializers.ListField(
        child=serializers.ListField(
            child=serializers.DecimalField(**MONEY, min_value=0), min_length=2, max_length=2
        ),
        required=False,
        default=list,
    )
    closing_rule = serializers.ChoiceField(choices=ClosingRule.choices, default=ClosingRule.FIXED)
    extend_minutes = serializers.IntegerField(min_value=0, max_value=1440, default=0)
    schedule = serializers.BooleanField(default=False, help_text="Reserve the lot and schedule")


class BidInput(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1)
    price = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    max_price = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="An autobid's maximum (open cry)"
    )
    quantity = serializers.IntegerField(min_value=1, default=1)
    accept_partial = serializers.BooleanField(default=False)
    ship_to = serializers.IntegerField(min_value=1)
    payment_method = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        if (attrs.get("price") is None) == (attrs.get("max_price") is None):
            raise serializers.ValidationError("Give a price (bid) or a max_price (autobid).")
        return attrs


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class RetryInput(serializers.Serializer):
    payment_method = serializers.IntegerField(min_value=1)


class CloseResult(serializers.Serializer):
    winners = serializers.IntegerField()
    orders = serializers.IntegerField()
    failed = serializers.IntegerField()


class RetryResult(serializers.Serializer):
    placed = serializers.BooleanField()
    bid = BidSerializer()


def _auction(pk) -> Auction:
    found = selectors.auction_get(pk)
    if found is None:
        raise NotFound(f"Auction {pk} does not exist.")
    return found


class AuctionFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=AuctionStatus.values, required=False, allow_blank=True, default=""
    )


class AuctionListCreate(generics.ListAPIView):
    """Auctions by end time (with time left); store admins create them ("Specify auction type",
    "Specify bid control rule detail"; `schedule` also submits them: the lot is reserved)."""

    permission_classes = [DeskOrStore]
    serializer_class = AuctionSerializer

    @extend_schema(parameters=[AuctionFilterIn])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = AuctionFilterIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.auction_list(status=filters.validated_data["status"])

    @extend_schema(request=AuctionCreateInput, responses={201: AuctionSerializer})
    def post(self, request):
        data = AuctionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        schedule = v.pop("schedule")
        v["increments"] = [[str(a), str(b)] for a, b in v["increments"]]
        created = services.create_auction(actor=request.user, **v)
        if schedule:
            services.schedule_auction(actor=request.user, auction_id=created.pk)
        return Response(AuctionSerializer(_auction(created.pk)).data, status=201)


class AuctionDetail(APIView):
    permission_classes = [DeskOrStore]

    @extend_schema(responses=AuctionSerializer)
    def get(self, request, pk: int):
        return Response(AuctionSerializer(_auction(pk)).data)


class Schedule(APIView):
    """ "Submit auction creation": reserve the lot from ATP and take bids from the start."""

    permission_classes = [HasPerm.of(Perm.MANAGE_STORE)]

    @extend_schema(request=None, responses=AuctionSerializer)
    def post(self, request, pk: int):
        services.schedule_auction(actor=request.user, auction_id=pk)
        return Response(AuctionSerializer(_auction(pk)).data)


class Bids(APIView):
    """ "See all bids" (sealed bids are hidden from CSRs until the close) and "Create bid" /
    "Create autobid" for a registered customer."""

    permission_classes = [DeskOrStore]

    @extend_schema(responses=BidSerializer(many=True))
    def get(self, request, pk: int):
        auction = _auction(pk)
        if selectors.bids_hidden(auction, request.user):
            return Response([])
        return Response(BidSerializer(selectors.auction_bids(auction), many=True).data)

    @extend_schema(request=BidInput, responses={201: BidSerializer})
    def post(self, request, pk: int):
        data = BidInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        placed = services.place_bid(
            actor=request.user,
            auction_id=pk,
            customer_id=v["customer"],
            price=v.get("price"),
            max_price=v.get("max_price"),
            quantity=v["quantity"],
            accept_partial=v["accept_partial"],
            ship_to_id=v["ship_to"],
            payment_method_id=v["payment_method"],
        )
        return Response(BidSerializer(placed).data, status=status.HTTP_201_CREATED)


class Withdraw(APIView):
    """ "Withdraw participant's bid(s)": supervisors, with a reason, before the close."""

    permission_classes = [HasPerm.of(Perm.SUPERVISE)]

    @extend_schema(request=ReasonInput, responses=BidSerializer)
    def post(self, request, bid_id: int):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        bid = services.withdraw_bid(
            actor=request.user, bid_id=bid_id, reason=data.validated_data["reason"]
        )
        return Response(BidSerializer(Bid.objects.get(pk=bid.pk)).data)


class ForceClose(APIView):
    """ "Force-close auction": supervisors; winners are assigned and their orders placed."""

    permission_classes = [HasPerm.of(Perm.SUPERVISE)]

    @extend_schema(request=None, responses=CloseResult)
    def post(self, request, pk: int):
        return Response(closing.force_close(actor=request.user, auction_id=pk))


class FailedBids(generics.ListAPIView):
    """ "Manage order failed bid(s)": won bids whose order was refused."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = BidSerializer

    def get_queryset(self):
        return selectors.failed_bids()


class Retry(APIView):
    """Retry a failed winning bid's order with another of the customer's cards."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]

    @extend_schema(request=RetryInput, responses=RetryResult)
    def post(self, request, bid_id: int):
        data = RetryInput(data=request.data)
        data.is_valid(raise_exception=True)
        placed = closing.retry_failed_bid(
            actor=request.user,
            bid_id=bid_id,
            payment_method_id=data.validated_data["payment_method"],
        )
        return Response({"placed": placed, "bid": BidSerializer(Bid.objects.get(pk=bid_id)).data})


class CustomerBids(generics.ListAPIView):
    """A customer's bids, newest first."""

    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = BidSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no customer
            return Bid.objects.none()
        return selectors.customer_bids(self.kwargs["customer_id"]).select_related("customer")
