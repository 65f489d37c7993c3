"""Read paths of the catalog, shared by the CSR screen, the API and the other apps.

How the catalog search stays fast on 200,000+ SKUs (PostgreSQL): it runs in two small steps
that each use one index and stop at the page size, then loads the page.
1. SKU codes: `code LIKE 'NB-BLK%' ORDER BY code LIMIT n`, a range scan of the btree
   (varchar_pattern_ops) index Django keeps for the unique code; the exact code sorts first.
   If none starts so, the same on the code without its separators (SKU.code_compact), so a
   code typed without them ('nbblka5') finds NB-BLK-A5.
2. If the page is not full and the text has 3+ letters: names. Every word of 3+ letters must
   be word-similar to the name (`name %> 'word'`, pg_trgm GIN index); the first
   FUZZY_CANDIDATES of those are ranked by word_similarity(text, name). Close matches
   (threshold 0.6) come first; if the page is not full, looser ones (0.4) follow, so that a
   dropped or swapped letter still matches: "blak notebok" finds "Notebook, Black, A5".
   The threshold is set for that query only (set_config(..., true): SET LOCAL).
   Two neighbouring letters swapped count as one spelling of the word ('gel pne').
3. The name matches are ranked by catalog.fuzzy: whole words and prefixes first, then how
   much of the product's own name the text is ('notebok' is a Notebook before a Notebook case).
SQLite (the zero-setup default) reads the names containing every word and those sharing
three-letter pieces with the words (at most FUZZY_SCAN of each) and ranks them the same way, so
'gell pen', 'notebok' and 'binder blak' find their products there too.
"""

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, connections, transaction
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, When
from django.db.models.expressions import RawSQL

from catalog import fuzzy
from catalog.models import (
    SKU,
    Association,
    Category,
    KitComponent,
    Product,
    buyable_q,
    compact_code,
    normalize_code,
)
from core.db import CompiledQuery

# Trigram matching needs three characters; shorter words match SKU codes only.
MIN_FUZZY_LENGTH = 3
# pg_trgm word similarity thresholds, tried in turn until the page is full (pg_trgm's own
# default is 0.6; 0.4 still finds a 5-letter word with one letter dropped: "pecil").
WORD_SIMILARITY_TIERS = (0.6, 0.4)
# The API pages through at most this many best matches of a search text.
SEARCH_CAP = 200
# Names: the first this many rows that match every word are ranked by similarity. A common
# word ("notebook") can match thousands of SKUs; computing word_similarity for all of them
# costs far more than the CSR gains from a perfect order among equally good matches.
FUZZY_CANDIDATES = 200


def _category_path(category) -> str | None:
    if category is None or category == "":
        return None
    if isinstance(category, Category):
        return category.path or Category.objects.get(pk=category.pk).path
    return Category.objects.filter(pk=category).values_list("path", flat=True).first() or "/-/"


def _association_rows() -> QuerySet[Association]:
    return Association.objects.select_related("target", "target__product").order_by(
        "kind", "rank", "target__code"
    )


def _component_rows() -> QuerySet[KitComponent]:
    return KitComponent.objects.select_related("component").order_by("component__code")


def catalog_items_base(*, now=None) -> QuerySet[SKU]:
    """SKUs with what a result row shows: product, category, buyable flag, associations
    (target with product) and kit components. A fixed number of queries for any page."""
    return (
        SKU.objects.select_related("product", "product__category")
        .with_buyable(now)
        .prefetch_related(
            Prefetch("associations", queryset=_association_rows()),
            Prefetch("components", queryset=_component_rows()),
        )
    )


def _loaded_page(items: QuerySet[SKU]) -> QuerySet[SKU]:
    """`items` (without prefetches) evaluated, each SKU carrying its associations and kit
    components as `catalog_items_base`'s prefetches give them (`sku.associations.all()` costs
    no query), in two hand-written queries. Django's prefetch machinery cost about 12 ms of
    CPU for a 20-row page (a related manager queryset per row and relation, compiling two
    querysets); this does the same work directly.
    The queryset stays a normal one: chaining it queries again."""
    skus = list(items)
    if not skus:
        return items
    by_id = {sku.pk: sku for sku in skus}
    connection = connections[items.db]
    ids = list(by_id)
    marks = ", ".join(["%s"] * len(ids))
    link, target, product = (_Columns(m, a, connection) for m, a in _ASSOCIATION_ROW)
    associations: dict[int, list[Association]] = {pk: [] for pk in by_id}
    sql = (
        f"SELECT {link.sql}, {target.sql}, {product.sql} FROM {link.table} a "
        f"JOIN {target.table} t ON t.id = a.target_id "
        f"JOIN {product.table} p ON p.id = t.product_id "
        f"WHERE a.source_id IN ({marks}) ORDER BY a.kind, a.rank, t.code"
    )
    for record in _fetch(connection, sql, ids):
        row, sku, sku_product = _Columns.build(record, (link, target, product), items.db)
        sku.product = sku_product
        row.target = sku
        associations[row.source_id].append(row)
    part, component = (_Columns(m, a, connection) for m, a in _COMPONENT_ROW)
    components: dict[int, list[KitComponent]] = {pk: [] for pk in by_id}
    sql = (
        f"SELECT {part.sql}, {component.sql} FROM {part.table} k "
        f"JOIN {component.table} c ON c.id = k.component_id "
        f"WHERE k.kit_id IN ({marks}) ORDER BY c.code"
    )
    for record in _fetch(connection, sql, ids):
        row, sku = _Columns.build(record, (part, component), items.db)
        row.component = sku
        components[row.kit_id].append(row)
    source_field = Association._meta.get_field("source")
    kit_field = KitComponent._meta.get_field("kit")
    for pk, sku in by_id.items():
        for row in associations[pk]:
            source_field.set_cached_value(row, sku)
        for row in components[pk]:
            kit_field.set_cached_value(row, sku)
        cache = sku.__dict__.setdefault("_prefetched_objects_cache", {})
        cache["associations"] = _cached(Association, {"source_id": pk}, associations[pk])
        cache["components"] = _cached(KitComponent, {"kit_id": pk}, components[pk])
    return items


# (model, table alias) of the rows the page's relations load, as the prefetches'
# select_related give them: association -> target SKU -> its product; kit part -> its SKU.
_ASSOCIATION_ROW = ((Association, "a"), (SKU, "t"), (Product, "p"))
_COMPONENT_ROW = ((KitComponent, "k"), (SKU, "c"))


class _Columns:
    """Every column of a model under a table alias, with the converters the ORM applies to
    each value (SQLite datetimes, decimals...), to build instances from a raw row."""

    def __init__(self, model, alias: str, connection):
        quote = connection.ops.quote_name
        self.model = model
        self.fields = model._meta.concrete_fields
        self.table = f"{quote(model._meta.db_table)}"
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)
        self.attnames = [f.attname for f in self.fields]
        self.converters = []
        for index, field in enumerate(self.fields):
            col = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                self.converters.append((index, found, col))
        self.connection = connection

    @staticmethod
    def build(record, parts, db: str) -> list:
        out, start = [], 0
        for part in parts:
            values = list(record[start : start + len(part.fields)])
            start += len(part.fields)
            for index, converters, col in part.converters:
                for convert in converters:
                    values[index] = convert(values[index], col, part.connection)
            out.append(part.model.from_db(db, part.attnames, values))
        return out


def _fetch(connection, sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _cached(model, lookups: dict, rows: list) -> QuerySet:
    """What a prefetch leaves in a related manager: its queryset, already evaluated. The
    filter is deferred until the queryset is chained, as Django's related managers do."""
    queryset = model._default_manager.get_queryset()
    queryset._deferred_filter = (False, (), lookups)  # what filter() leaves when deferred
    queryset._result_cache = rows
    queryset._prefetch_done = True
    return queryset


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
    page_base = SKU.objects.select_related("product", "product__category").with_buyable(now)
    candidates = SKU.objects.all()
    if path:
        candidates = candidates.filter(product__category__path__startswith=path)
    if buyable_only:
        candidates = candidates.filter(buyable_q(now))
    if not text:
        if not path:
            return SKU.objects.none()
        items = page_base.filter(pk__in=candidates.values("pk")).order_by("code")
        return _loaded_page(items[:limit] if limit else items)
    ids = matching_sku_ids(candidates, text, limit=limit or SEARCH_CAP)
    return _loaded_page(in_order(page_base, ids))


def _codes_starting(base: QuerySet[SKU], text: str, limit: int) -> list[tuple[int, str]]:
    """(id, code without separators) of the SKUs whose code starts with the text, in code
    order; if none, of those whose code does once the separators are left out of both."""
    found = base.filter(code__startswith=normalize_code(text)).order_by("code")
    codes = list(found.values_list("pk", "code_compact")[:limit])
    if codes:
        return codes
    found = base.filter(code_compact__startswith=compact_code(text)).order_by("code_compact")
    return list(found.values_list("pk", "code_compact")[:limit])


def matching_sku_ids(candidates: QuerySet[SKU], query: str, *, limit: int) -> list[int]:
    """Ids of the best `limit` SKUs of `candidates` for a search text, best first: the SKU
    codes starting with it (exact code first), then names matching it (see the module notes)."""
    text = " ".join((query or "").split())
    if not text:
        return []
    base = candidates.order_by()
    code = compact_code(text)
    codes = _codes_starting(base, text, limit)
    ids = [pk for pk, _code in codes]
    words = [word for word in text.split() if len(word) >= MIN_FUZZY_LENGTH]
    if len(ids) >= limit or not words:
        return ids
    if ids and " " not in text and (codes[0][1] == code or any(ch.isdigit() for ch in text)):
        return ids  # a SKU code that was found: typed in full, or its digits say it is no name
    if connection.vendor == "postgresql":
        with transaction.atomic(using=candidates.db), connection.cursor() as cursor:
            for threshold in WORD_SIMILARITY_TIERS:
                # Close matches first; looser ones only if the page is not full yet.
                # For this transaction only. The planner underestimates what word_similarity
                # costs per row: left alone it may walk a whole table or the primary key
                # (to stop after FUZZY_CANDIDATES rows, or for the buyable anti-join) and
                # test every name; without plain scans it starts from the trigram index.
                cursor.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true),"
                    " set_config('enable_seqscan', 'off', true),"
                    " set_config('enable_indexscan', 'off', true)",
                    [str(threshold)],
                )
                names = base.exclude(pk__in=ids) if ids else base
                for word in words:
                    # The word or the word with two neighbouring letters swapped ('pne').
                    similar = Q()
                    for spelling in fuzzy.alternatives(word.lower()):
                        similar |= Q(name__trigram_word_similar=spelling)
                    names = names.filter(similar)
                rows = (
                    SKU.objects.filter(pk__in=names.values("pk")[:FUZZY_CANDIDATES])
                    .annotate(similarity=TrigramWordSimilarity(text, "name"))
                    .order_by("-similarity", "code")
                    .values_list("pk", "name", "product__name")
                )
                rows = list(rows)
                ids += fuzzy.ranked(text, rows, keep={pk for pk, *_names in rows})[
                    : limit - len(ids)
                ]
                if len(ids) >= limit:
                    break
    else:
        ids += _names_ranked_here(base, ids, text, limit - len(ids))
    return ids


# SQLite: at most this many names (those containing every word, then those sharing pieces
# of the words) are read and ranked in Python (catalog.fuzzy).
FUZZY_SCAN = 2000


def _names_ranked_here(base: QuerySet[SKU], found: list[int], text: str, wanted: int) -> list[int]:
    """Names for a database without trigram search: every SKU whose name contains every word,
    and those sharing three-letter pieces with the words (a misspelling shares some), ranked
    by catalog.fuzzy; a name that contains every word is always kept."""
    names = base.exclude(pk__in=found) if found else base
    containing = names
    for word in text.split():
        containing = containing.filter(name__icontains=word)
    typed = fuzzy.words(text)
    long_words = [word for word in typed if len(word) >= 4]
    near = Q()
    for word in long_words:  # each long word shares a piece with the name...
        near &= _sharing_a_piece(word)
    if not long_words:  # ...or, all words short, one of them does ('gel pne')
        for word in typed:
            near |= _sharing_a_piece(word)
    columns = ("pk", "name", "product__name")
    contained = list(containing.order_by("code").values_list(*columns)[:FUZZY_SCAN])
    rows = contained + list(
        names.filter(near)
        .exclude(pk__in=[row[0] for row in contained])
        .order_by("code")
        .values_list(*columns)[:FUZZY_SCAN]
    )
    return fuzzy.ranked(text, rows, keep={row[0] for row in contained})[:wanted]


def _sharing_a_piece(word: str) -> Q:
    shares = Q()
    for piece in fuzzy.chunks(word):
        shares |= Q(name__icontains=piece)
    return shares


def in_order(items: QuerySet[SKU], ids: list[int]) -> QuerySet[SKU]:
    """`items` restricted to `ids`, in that order."""
    if not ids:
        return items.none()
    if connection.vendor == "postgresql":
        table = SKU._meta.db_table
        position = RawSQL(f'array_position(%s::bigint[], "{table}"."id")', (list(ids),))
    else:
        whens = (When(pk=pk, then=index) for index, pk in enumerate(ids))
        position = Case(*whens, output_field=IntegerField())
    return items.filter(pk__in=ids).order_by(position)


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


def associations_for_skus(*, sku_ids, kinds=None) -> dict[int, list[Association]]:
    """Associations per source SKU id (targets with their product), in one query."""
    found: dict[int, list[Association]] = {}
    sku_ids = list(sku_ids)
    if len(sku_ids) == 1 and not kinds:  # a line added or changed: compiled once
        rows = _ASSOCIATIONS_OF_ONE.objects(sku_ids[0])
    else:
        rows = _associations(Association.objects.filter(source_id__in=sku_ids))
        if kinds:
            rows = rows.filter(kind__in=list(kinds))
    for association in rows:
        found.setdefault(association.source_id, []).append(association)
    return found


def _associations(rows: QuerySet[Association]) -> QuerySet[Association]:
    return rows.select_related("target", "target__product").order_by("kind", "rank", "target__code")


_ASSOCIATIONS_OF_ONE = CompiledQuery(
    lambda sku_id: _associations(Association.objects.filter(source_id=sku_id)), int
)
