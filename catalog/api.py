"""REST API of the catalog: categories, products, SKUs. Read for CSRs (and store admins),
write for store admins. Thin: searching is catalog.selectors, SKU generation catalog.services."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, ProtectedError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import (
    SKU,
    Association,
    Category,
    KitComponent,
    Product,
    ProductAxis,
    ProductState,
    buyable_q,
)
from core.api import ModelSerializer
from core.errors import DomainError
from core.roles import Perm


class CatalogPermission(BasePermission):
    """Reading: CSRs (USE_DESK) and store admins; writing: store admins (MANAGE_STORE)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.has_perm(Perm.USE_DESK) or user.has_perm(Perm.MANAGE_STORE)
        return user.has_perm(Perm.MANAGE_STORE)


class InUse(DomainError):
    code = "in_use"
    http_status = 409


class _ProtectedDestroy:
    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as exc:
            raise InUse(
                f"{instance} is still used ({len(exc.protected_objects)} related rows); "
                "discontinue or withdraw it instead."
            ) from exc


# --- categories -------------------------------------------------------------------------------


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "path", "depth"]
        read_only_fields = ["path", "depth"]

    def validate_parent(self, parent):
        if parent and self.instance and f"/{self.instance.pk}/" in parent.path:
            raise serializers.ValidationError("That category is inside this one.")
        return parent


class CategoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code or name contains")
    within = django_filters.NumberFilter(
        method="filter_within", label="Category id: it and everything below it"
    )

    class Meta:
        model = Category
        fields = ["parent", "depth"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def filter_within(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.category_subtree_ids(value))


class CategoryViewSet(_ProtectedDestroy, viewsets.ModelViewSet):
    queryset = Category.objects.order_by("path")
    serializer_class = CategorySerializer
    permission_classes = [CatalogPermission]
    lookup_value_converter = "int"
    filterset_class = CategoryFilter


# --- products ------------------------------------------------------------------------------------


class AxisSerializer(ModelSerializer):
    attribute = serializers.CharField(source="attribute.code", read_only=True)
    values = serializers.SlugRelatedField(slug_field="value", many=True, read_only=True)

    class Meta:
        model = ProductAxis
        fields = ["attribute", "position", "values"]


class ProductSerializer(ModelSerializer):
    category_code = serializers.CharField(source="category.code", read_only=True)
    state = serializers.ChoiceField(
        source="effective_state", choices=ProductState.choices, read_only=True
    )
    defining_attributes = AxisSerializer(source="axes", many=True, read_only=True)
    sku_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "name",
            "description",
            "category",
            "category_code",
            "state",
            "announced_at",
            "available_from",
            "discontinued_at",
            "withdrawn_at",
            "tax_code",
            "defining_attributes",
            "sku_count",
        ]

    def validate(self, attrs):
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("available_from", "discontinued_at", "withdrawn_at")
        }
        try:
            Product(**merged).clean()  # the model's own date-order rules
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code or name contains")
    category = django_filters.NumberFilter(
        method="filter_category", label="Category id (its whole subtree)"
    )

    class Meta:
        model = Product
        fields = ["state", "tax_code"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))

    def filter_category(self, queryset, name, value):
        path = Category.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(category__path__startswith=path or "/-/")


class GeneratedSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())


class ProductViewSet(_ProtectedDestroy, viewsets.ModelViewSet):
    queryset = (
        Product.objects.select_related("category")
        .prefetch_related("axes__attribute", "axes__values")
        .annotate(sku_count=Count("skus"))
        .order_by("code")
    )
    serializer_class = ProductSerializer
    permission_classes = [CatalogPermission]
    lookup_value_converter = "int"
    filterset_class = ProductFilter

    @extend_schema(request=None, responses=GeneratedSerializer)
    @action(detail=True, methods=["post"], url_path="generate-skus")
    def generate_skus(self, request, pk=None):
        """Create the SKUs for every combination of defining attribute values not yet there."""
        created = services.generate_skus(product=self.get_object(), actor=request.user)
        return Response({"created": [sku.code for sku in created]})


# --- SKUs ----------------------------------------------------------------------------------------


class AssociationOutSerializer(ModelSerializer):
    target_code = serializers.CharField(source="target.code")
    target_name = serializers.CharField(source="target.name")

    class Meta:
        model = Association
        fields = ["kind", "target", "target_code", "target_name", "rank", "note"]


class ComponentOutSerializer(ModelSerializer):
    component_code = serializers.CharField(source="component.code")

    class Meta:
        model = KitComponent
        fields = ["component", "component_code", "quantity"]


class SKUSerializer(ModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    category = serializers.IntegerField(source="product.category_id", read_only=True)
    state = serializers.CharField(read_only=True)
    is_buyable = serializers.SerializerMethodField()
    associations = AssociationOutSerializer(many=True, read_only=True)
    components = ComponentOutSerializer(many=True, read_only=True)

    class Meta:
        model = SKU
        fields = [
            "id",
            "code",
            "product",
            "product_code",
            "category",
            "name",
            "weight_kg",
            "is_active",
            "kind",
            "service_type",
            "state",
            "is_buyable",
            "associations",
            "components",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_is_buyable(self, sku) -> bool:
        return sku.is_buyable

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", "item"))
        service_type = attrs.get("service_type", getattr(self.instance, "service_type", ""))
        if service_type and kind != "service":
            raise serializers.ValidationError(
                {"service_type": "Only service SKUs have a service type."}
            )
        return attrs


class SKUFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label="SKU code (exact or prefix) or name (fuzzy on PostgreSQL)"
    )
    category = django_filters.NumberFilter(
        method="filter_category", label="Category id (its whole subtree)"
    )
    buyable = django_filters.BooleanFilter(method="filter_buyable", label="Buyable now")

    class Meta:
        model = SKU
        fields = ["product", "kind", "is_active"]

    def filter_queryset(self, queryset):
        # The search text goes last, over the other filters: it picks and orders the best
        # SEARCH_CAP matches, which the API then pages through.
        text = self.form.cleaned_data.get("q")
        queryset = super().filter_queryset(queryset)
        if text:
            ids = selectors.matching_sku_ids(queryset, text, limit=selectors.SEARCH_CAP)
            queryset = selectors.in_order(queryset, ids)
        return queryset

    def filter_q(self, queryset, name, value):
        return queryset  # applied in filter_queryset, after the other filters

    def filter_category(self, queryset, name, value):
        path = Category.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(product__category__path__startswith=path or "/-/")

    def filter_buyable(self, queryset, name, value):
        return queryset.filter(buyable_q()) if value else queryset.exclude(buyable_q())


class SKUViewSet(_ProtectedDestroy, viewsets.ModelViewSet):
    serializer_class = SKUSerializer
    permission_classes = [CatalogPermission]
    lookup_value_converter = "int"
    filterset_class = SKUFilter

    def get_queryset(self):
        return selectors.catalog_items_base().order_by("code")
