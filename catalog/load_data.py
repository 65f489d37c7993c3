"""Benchmark volumes of catalog data: `manage.py generate_load_data --skus M`.

PostgreSQL: COPY (psycopg 3 `cursor.copy`) of products and SKUs; elsewhere batched bulk_create.
Adds to what is there: each run uses fresh codes ("LD<run>-...") under a "Load test" category
tree. Names come from a stationery vocabulary so fuzzy search has realistic work to do.
"""

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from catalog.models import SKU, Category, Product, ProductState
from core.app_data import Volume

SKUS_PER_PRODUCT = 20
BATCH = 5_000

NOUNS = [
    "Notebook",
    "Journal",
    "Sketchbook",
    "Planner",
    "Binder",
    "Folder",
    "Gel Pen",
    "Ballpoint Pen",
    "Fountain Pen",
    "Pencil",
    "Marker",
    "Highlighter",
    "Eraser",
    "Ruler",
    "Stapler",
    "Desk Tray",
    "Pencil Case",
    "Envelope",
    "Index Cards",
    "Sticky Notes",
    "Paper Clips",
    "Letter Paper",
    "Drawing Pad",
    "Label Roll",
    "Clipboard",
    "Desk Lamp",
    "Bookend",
    "Scissors",
    "Tape",
]
ADJECTIVES = [
    "Classic",
    "Premium",
    "Recycled",
    "Compact",
    "Deluxe",
    "Eco",
    "Studio",
    "Pocket",
    "Office",
    "Archive",
    "Travel",
    "Student",
    "Executive",
    "Slim",
    "Bold",
    "Soft",
    "Linen",
    "Kraft",
]
COLOURS = [
    "Black",
    "Blue",
    "Red",
    "Green",
    "Yellow",
    "White",
    "Grey",
    "Navy",
    "Pink",
    "Orange",
    "Purple",
    "Teal",
    "Brown",
    "Silver",
    "Gold",
    "Mint",
    "Coral",
    "Sand",
    "Olive",
    "Plum",
]
SIZES = ["A4", "A5", "A6", "B5", "Letter", "Legal", "Small", "Medium", "Large", "XL"]


def _tree() -> list[Category]:
    """A 3-level "Load test" tree: 1 root, 6 groups, 5 leaves each (30 leaf categories)."""
    root, _ = Category.objects.get_or_create(code="load-test", defaults={"name": "Load test"})
    leaves = []
    for g in range(6):
        group, _ = Category.objects.get_or_create(
            code=f"load-test-{g}", defaults={"name": f"Load group {g}", "parent": root}
        )
        for leaf in range(5):
            node, _ = Category.objects.get_or_create(
                code=f"load-test-{g}-{leaf}",
                defaults={"name": f"Load shelf {g}.{leaf}", "parent": group},
            )
            leaves.append(node)
    return leaves


def _run_prefix() -> str:
    runs = Product.objects.filter(code__startswith="LD").values_list("code", flat=True)
    used = {code.split("-", 1)[0] for code in runs.iterator()}
    n = 1
    while f"LD{n}" in used:
        n += 1
    return f"LD{n}"


def generate_skus(count: int, progress: Callable[[int], None] | None = None, *, seed=None) -> int:
    """Add `count` SKUs (in products of SKUS_PER_PRODUCT) and report progress(done) as it goes.
    Returns the number of SKUs created."""
    progress = progress or (lambda done: None)
    if count <= 0:
        return 0
    rng = random.Random(seed)
    leaves = _tree()
    prefix = _run_prefix()
    now = timezone.now()
    product_count = -(-count // SKUS_PER_PRODUCT)

    products = []
    for p in range(product_count):
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {p % 997}"
        roll = rng.random()
        available_from, discontinued_at = now - timedelta(days=rng.randint(30, 900)), None
        state = ProductState.AVAILABLE
        if roll < 0.03:
            discontinued_at, state = (
                now - timedelta(days=rng.randint(1, 30)),
                ProductState.DISCONTINUED,
            )
        elif roll < 0.05:
            available_from, state = now + timedelta(days=rng.randint(1, 60)), ProductState.ANNOUNCED
        products.append(
            (
                f"{prefix}-{p:07d}",
                name,
                rng.choice(leaves).pk,
                state,
                available_from,
                discontinued_at,
            )
        )

    def sku_rows(product_ids):
        done = 0
        for (code, name, *_rest), product_id in zip(products, product_ids, strict=True):
            for i in range(SKUS_PER_PRODUCT):
                if done >= count:
                    return
                colour, size = COLOURS[i % len(COLOURS)], SIZES[(i * 7 + len(name)) % len(SIZES)]
                weight = Decimal(rng.randint(20, 2500)) / 1000
                yield (
                    f"{code}-{i:02d}",
                    product_id,
                    f"{name}, {colour}, {size}",
                    weight,
                    True,
                    "item",
                    "",
                    "",
                )
                done += 1

    with transaction.atomic():
        if connection.vendor == "postgresql":
            created = _copy(products, sku_rows, count, progress)
        else:
            created = _bulk(products, sku_rows, count, progress)
    if created % BATCH:
        progress(created)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Move the rows COPY left in the trigram index's pending list into the index proper,
        # and give the planner the new table sizes (VACUUM cannot run in a transaction).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {SKU._meta.db_table}")
            cursor.execute(f"VACUUM ANALYZE {Product._meta.db_table}")
    return created


PRODUCT_COLUMNS = (
    "code",
    "name",
    "description",
    "category_id",
    "state",
    "available_from",
    "discontinued_at",
    "tax_code",
)
SKU_COLUMNS = (
    "code",
    "product_id",
    "name",
    "weight_kg",
    "is_active",
    "kind",
    "service_type",
    "variant_key",
)


def _product_ids(products) -> list[int]:
    by_code = dict(
        Product.objects.filter(code__startswith=products[0][0].split("-", 1)[0] + "-")
        .values_list("code", "pk")
        .iterator()
    )
    return [by_code[p[0]] for p in products]


def _copy(products, sku_rows, count, progress) -> int:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor
        with raw.copy(
            f"COPY {Product._meta.db_table} ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for code, name, category_id, state, available_from, discontinued_at in products:
                copy.write_row(
                    (
                        code,
                        name,
                        "",
                        category_id,
                        state,
                        available_from,
                        discontinued_at,
                        "standard",
                    )
                )
        ids = _product_ids(products)
        done = 0
        with raw.copy(f"COPY {SKU._meta.db_table} ({', '.join(SKU_COLUMNS)}) FROM STDIN") as copy:
            for row in sku_rows(ids):
                copy.write_row(row)
                done += 1
                if done % BATCH == 0:
                    progress(done)
    return done


def _bulk(products, sku_rows, count, progress) -> int:
    for start in range(0, len(products), BATCH):
        Product.objects.bulk_create(
            Product(
                code=code,
                name=name,
                category_id=category_id,
                state=state,
                available_from=available_from,
                discontinued_at=discontinued_at,
            )
            for code, name, category_id, state, available_from, discontinued_at in products[
                start : start + BATCH
            ]
        )
    ids = _product_ids(products)
    batch, done = [], 0
    for row in sku_rows(ids):
        batch.append(SKU(**dict(zip(SKU_COLUMNS, row, strict=True))))
        if len(batch) >= BATCH:
            SKU.objects.bulk_create(batch)
            done += len(batch)
            batch = []
            progress(done)
    if batch:
        SKU.objects.bulk_create(batch)
        done += len(batch)
    return done


VOLUME = Volume(option="skus", label="SKUs", generate=generate_skus)
