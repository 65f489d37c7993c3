"""REST API for customers: thin adapters over the selectors and services.

Stored cards are shown as brand, last 4 and expiry only; the gateway token never leaves.
Validation errors are 400 with `fields` naming every bad input (core.api error format).
"""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ModelSerializer
from core.permissions import HasPerm
from core.roles import Perm
from customers import selectors, services
from customers.models import Address, Customer, Gender, IncomeBand, PaymentMethod, Segment
from customers.services import ADDRESS_FIELDS, CUSTOMER_FIELDS


class AddressSerializer(ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Address
        fields = ["id", *ADDRESS_FIELDS, "is_default_billing", "is_default_shipping"]
        read_only_fields = fields


class AddressInputSerializer(serializers.Serializer):
    nickname = serializers.CharField(max_length=50)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=50, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=60, help_text="ISO code (CA) or name (Canada)")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    is_default_billing = serializers.BooleanField(required=False, default=False)
    is_default_shipping = serializers.BooleanField(required=False, default=False)


class AddressPatchSerializer(AddressInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["is_default_billing"].default = serializers.empty
        self.fields["is_default_shipping"].default = serializers.empty


class PaymentMethodSerializer(ModelSerializer):
    """What anyone may see of a stored card: never the token, never more than the last 4."""

    billing_address = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = PaymentMethod
        fields = ["id", "brand", "last4", "exp_month", "exp_year", "billing_address", "is_default"]
        read_only_fields = fields


class CustomerSerializer(ModelSerializer):
    account_number = serializers.CharField(
        source="organization.account_number", read_only=True, default=None, allow_null=True
    )
    # Blank when not given: declared so the schema says so (a read-only model field would not).
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, read_only=True)
    income_band = serializers.ChoiceField(
        choices=IncomeBand.choices, allow_blank=True, read_only=True
    )
    segments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)
    payment_methods = PaymentMethodSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            *CUSTOMER_FIELDS,
            "account_number",
            "segments",
            "is_enabled",
            "disabled_reason",
            "must_change_password",
            "created_at",
            "modified_at",
            "addresses",
            "payment_methods",
        ]
        read_only_fields = fields


class CustomerCreateSerializer(serializers.Serializer):
    logon_id = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True)
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    preferred_currency = serializers.CharField(max_length=3, required=False)
    preferred_language = serializers.CharField(max_length=10, required=False)
    challenge_question = serializers.CharField(max_length=200, required=False, allow_blank=True)
    challenge_answer = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    income_band = serializers.ChoiceField(
        choices=IncomeBand.choices, required=False, allow_blank=True
    )
    organization = serializers.IntegerField(required=False, allow_null=True)
    segments = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Segment codes"
    )
    addresses = AddressInputSerializer(many=True, required=False)


class CustomerUpdateSerializer(serializers.Serializer):
    logon_id = serializers.CharField(max_length=150, required=False)
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    preferred_currency = serializers.CharField(max_length=3, required=False)
    preferred_language = serializers.CharField(max_length=10, required=False)
    challenge_question = serializers.CharField(max_length=200, required=False, allow_blank=True)
    challenge_answer = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    income_band = serializers.ChoiceField(
        choices=IncomeBand.choices, required=False, allow_blank=True
    )
    organization = serializers.IntegerField(required=False, allow_null=True)


class CustomerFilter(filters.FilterSet):
    """Every find field; partial (prefix) and case-insensitive, as on the Find screen."""

    q = filters.CharFilter(method="noop", help_text="Quick box: any field at once")
    logon_id = filters.CharFilter(method="noop")
    first_name = filters.CharFilter(method="noop")
    last_name = filters.CharFilter(method="noop")
    phone = filters.CharFilter(method="noop", help_text="Any formatting or fragment")
    email = filters.CharFilter(method="noop")
    postal_code = filters.CharFilter(method="noop", help_text="ZIP / postal code prefix")
    account_number = filters.CharFilter(method="noop", help_text="Organization account number")
    segment = filters.CharFilter(method="noop", help_text="Segment code")
    is_enabled = filters.BooleanFilter(method="noop")

    class Meta:
        model = Customer
        fields: list = []

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        data = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")}
        query = data.pop("q", None)
        return selectors.find_customers(query=query, **data)


def _with_details(qs):
    return qs.select_related("organization").prefetch_related(
        "segments", "addresses", "payment_methods"
    )


@extend_schema_view(
    list=extend_schema(summary="Find customers"),
    retrieve=extend_schema(summary="A customer with addresses and stored cards"),
)
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = CustomerSerializer
    lookup_value_converter = "int"
    filterset_class = CustomerFilter
    queryset = Customer.objects.all()

    def get_queryset(self):
        return _with_details(Customer.objects.all())

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return _with_details(super().filter_queryset(queryset))

    @extend_schema(request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def create(self, request, *args, **kwargs):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        addresses = values.pop("addresses", [])
        codes = values.pop("segments", [])
        segments = list(Segment.objects.filter(code__in=codes))
        missing = set(codes) - {s.code for s in segments}
        if missing:
            raise services.CustomerInvalid(
                {"segments": [f"Unknown segment(s): {', '.join(sorted(missing))}."]}
            )
        with transaction.atomic():
            first = addresses[0] if addresses else None
            if first:
                first = {k: v for k, v in first.items() if not k.startswith("is_default")}
            customer = services.customer_create(
                actor=request.user, segments=segments, address=first, **values
            )
            for index, address in enumerate(addresses[1:], start=1):
                address = dict(address)
                try:
                    services.address_create(
                        actor=request.user,
                        customer=customer,
                        data={k: v for k, v in address.items() if not k.startswith("is_default")},
                        default_billing=address.get("is_default_billing", False),
                        default_shipping=address.get("is_default_shipping", False),
                    )
                except services.CustomerInvalid as exc:
                    raise services.CustomerInvalid(
                        {f"addresses[{index}].{k}": v for k, v in exc.errors.items()}
                    ) from None
        customer = _with_details(Customer.objects.all()).get(pk=customer.pk)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerUpdateSerializer, responses=CustomerSerializer)
    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = CustomerUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        services.customer_update(actor=request.user, customer=customer, data=data.validated_data)
        customer = _with_details(Customer.objects.all()).get(pk=customer.pk)
        return Response(CustomerSerializer(customer).data)

    @extend_schema(request=CustomerUpdateSerializer, responses=CustomerSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


CUSTOMER_ID = OpenApiParameter("customer_id", int, OpenApiParameter.PATH)
ADDRESS_ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="A customer's address book", parameters=[CUSTOMER_ID]),
    retrieve=extend_schema(parameters=[CUSTOMER_ID, ADDRESS_ID]),
    destroy=extend_schema(parameters=[CUSTOMER_ID, ADDRESS_ID]),
)
class CustomerAddressViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [HasPerm.of(Perm.USE_DESK)]
    serializer_class = AddressSerializer
    pagination_class = None
    queryset = Address.objects.all()

    def get_customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_id"])

    def get_queryset(self):
        return Address.objects.filter(customer_id=self.kwargs.get("customer_id")).order_by(
            "nickname", "pk"
        )

    @extend_schema(
        request=AddressInputSerializer,
        responses={201: AddressSerializer},
        parameters=[CUSTOMER_ID],
    )
    def create(self, request, *args, **kwargs):
        customer = self.get_customer()
        data = AddressInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        address = services.address_create(
            actor=request.user,
            customer=customer,
            default_billing=values.pop("is_default_billing", False),
            default_shipping=values.pop("is_default_shipping", False),
            data=values,
        )
        address.refresh_from_db()
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AddressPatchSerializer,
        responses=AddressSerializer,
        parameters=[CUSTOMER_ID, ADDRESS_ID],
    )
    def partial_update(self, request, *args, **kwargs):
        address = self.get_object()
        data = AddressPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        billing = values.pop("is_default_billing", False)
        shipping = values.pop("is_default_shipping", False)
        with transaction.atomic():
            services.address_update(actor=request.user, address=address, data=values)
            if billing or shipping:
                services.address_set_default(
                    actor=request.user, address=address, billing=billing, shipping=shipping
                )
        address.refresh_from_db()
        return Response(AddressSerializer(address).data)

    def perform_destroy(self, instance):
        services.address_delete(actor=self.request.user, address=instance)
