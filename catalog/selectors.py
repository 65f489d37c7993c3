"""Read paths of the catalog, shared by the CSR screen, the API and the other apps."""

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from catalog.models import (
    SKU,
    Association,
    Category,
    KitComponent,
    buyable_q,
    normalize_code,
)

# Trigram matching needs three characters; shorter queries match SKU codes only.
MIN_FUZZY_LENGTH = 3


def _category_path(category) -> str | None:
    if category is None or category == "":
        return None
    if isinstance(category, Category):
        return category.path or Category.objects.get(pk=category.pk).path
    return Category.objects.filter(pk=category).values_list("path", flat=True).first() or "/-/"


def catalog_items_base(*, now=None) -> QuerySet[SKU]:
    """SKUs with what a result row shows: product, category, buyable flag, associations
    (target with product) and kit components. A fixed number of queries for any page."""
    return (
        SKU.objects.select_related("product", "product__category")
        .with_buyable(now)
        .prefetch_related(
            Prefetch(
                "associations",
                queryset=Association.objects.select_related("target", "target__product").order_by(
                    "kind", "rank", "target__code"
                ),
            ),
            Prefetch(
                "components",
                queryset=KitComponent.objects.select_related("component").order_by(
                    "component__code"
                ),
            ),
        )
    )


def find_catalog_items(
    *, query: str, category=None, buyable_only: bool = False, limit: int | None = 20, now=None
) -> QuerySet[SKU]:
    """Find SKUs for a CSR: SKU code exact or prefix (case-insensitive), product/SKU name fuzzy
    (pg_trgm trigram similarity, "blak notebok" finds "Notebook, Black") on PostgreSQL and
    substring (every word) on SQLite. `category`: a Category or id; its whole subtree matches.

    Ordered: exact code, then code prefix, then best name match. Each SKU is annotated with
    `buyable` (so `sku.is_buyable` is free) and carries its associations and kit components.
    An empty query returns the category's SKUs, or nothing without a category.
    """
    text = " ".join((query or "").split())
    path = _category_path(category)
    items = catalog_items_base(now=now)
    if path:
        items = items.filter(product__category__path__startswith=path)
    if buyable_only:
        items = items.filter(buyable_q(now))

    if not text:
        if not path:
            return items.none()
        items = items.order_by("code")
        return items[:limit] if limit else items

    items = search_skus(items, text)
    return items[:limit] if limit else items


def search_skus(items: QuerySet[SKU], query: str) -> QuerySet[SKU]:
    """Narrow and order any SKU queryset by a search text (see find_catalog_items)."""
    text = " ".join((query or "").split())
    if not text:
        return items
    code = normalize_code(text)
    match = Q(code__startswith=code)
    rank = Case(
        When(code=code, then=Value(0)),
        When(code__startswith=code, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    ordering = ["match_rank"]
    if len(text) >= MIN_FUZZY_LENGTH:
        if connection.vendor == "postgresql":
            # Both operators use the GIN trigram index: the whole query similar to the name
            # (pg_trgm.similarity_threshold, 0.3), or every word of 3+ letters similar to a
            # word of the name (word_similarity_threshold, 0.6): "blak notebok", "stapl".
            words = Q()
            for word in text.split():
                if len(word) >= MIN_FUZZY_LENGTH:
                    words &= Q(name__trigram_word_similar=word)
            match |= Q(name__trigram_similar=text) | words
            items = items.annotate(similarity=TrigramWordSimilarity(text, "name"))
            ordering.append("-similarity")
        else:
            words = Q()
            for word in text.split():
                words &= Q(name__icontains=word)
            match |= words
    return items.filter(match).annotate(match_rank=rank).order_by(*ordering, "code")


def buyable_skus(*, now=None) -> QuerySet[SKU]:
    """Every SKU that can be ordered now (the one rule, catalog.models.buyable_q)."""
    return SKU.objects.buyable(now)


def sku_by_code(code: str) -> SKU | None:
    """The SKU with this code (case-insensitive), with product and category, or None."""
    return (
        SKU.objects.select_related("product", "product__category")
        .filter(code=normalize_code(code))
        .first()
    )


def category_ancestor_ids(category_id: int) -> list[int]:
    """The category itself and its ancestors, root first; [] if there is no such category."""
    path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if not path:
        return []
    return [int(part) for part in path.strip("/").split("/") if part]


def category_subtree_ids(category_id: int) -> list[int]:
    """The category and all categories below it."""
    path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if not path:
        return []
    return list(Category.objects.filter(path__startswith=path).values_list("pk", flat=True))


def category_tree() -> list[Category]:
    """All categories in tree order (each with `depth`), for pickers and filters."""
    nodes = list(Category.objects.all())
    names = {node.pk: node.name.lower() for node in nodes}

    def key(node):
        return [names.get(pk, "") for pk in node.ancestor_ids]

    return sorted(nodes, key=key)


def associations_of(sku: SKU) -> QuerySet[Association]:
    return sku.associations.select_related("target", "target__product").order_by("kind", "rank")


def associations_for_skus(*, sku_ids, kinds=None) -> dict[int, list[Association]]:
    """Associations per source SKU id (targets with their product), in one query."""
    found: dict[int, list[Association]] = {}
    rows = Association.objects.filter(source_id__in=list(sku_ids)).select_related(
        "target", "target__product"
    )
    if kinds:
        rows = rows.filter(kind__in=list(kinds))
    for association in rows.order_by("kind", "rank", "target__code"):
        found.setdefault(association.source_id, []).append(association)
    return found
