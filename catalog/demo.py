"""Demo catalog for a stationery store: a 3-level category tree, variant products whose SKUs
are generated from defining attributes (about 300 SKUs), kits, services, a few discontinued
items with their replacement, an announced one, and merchandising associations.

Idempotent: rows are found by code; SKU generation only adds missing combinations.
Pricing's demo relies on NB-BLK-A5 ("notebooks" categories) and CASE-A5 (the gift case).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog import services
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    Category,
    DescriptiveValue,
    Product,
    ProductAxis,
    ServiceType,
    SKUKind,
)
from core.app_data import DemoData

# code, name, parent code
CATEGORIES = [
    ("paper-notebooks", "Paper & notebooks", None),
    ("notebooks", "Notebooks", "paper-notebooks"),
    ("notebooks-hardcover", "Hardcover notebooks", "notebooks"),
    ("notebooks-spiral", "Spiral notebooks", "notebooks"),
    ("journals-planners", "Journals & planners", "notebooks"),
    ("paper", "Paper", "paper-notebooks"),
    ("paper-printer", "Printer paper", "paper"),
    ("paper-notes", "Sticky notes & pads", "paper"),
    ("paper-envelopes", "Envelopes", "paper"),
    ("writing", "Writing", None),
    ("pens", "Pens", "writing"),
    ("pens-gel", "Gel pens", "pens"),
    ("pens-ballpoint", "Ballpoint pens", "pens"),
    ("pens-fountain", "Fountain pens & ink", "pens"),
    ("pencils-markers", "Pencils & markers", "writing"),
    ("pencils", "Pencils", "pencils-markers"),
    ("markers", "Markers & highlighters", "pencils-markers"),
    ("cases-bags", "Cases & bags", None),
    ("cases", "Cases & covers", "cases-bags"),
    ("cases-covers", "Book covers & sleeves", "cases"),
    ("cases-pencil", "Pencil cases", "cases"),
    ("desk", "Desk accessories", None),
    ("desk-organisers", "Organisers", "desk"),
    ("desk-trays", "Trays & pen cups", "desk-organisers"),
    ("desk-filing", "Binders & folders", "desk-organisers"),
    ("desk-tools", "Tools", "desk"),
    ("desk-staplers", "Staplers, scissors & tape", "desk-tools"),
    ("desk-lighting", "Desk lamps", "desk-tools"),
    ("kits-services", "Kits & services", None),
    ("kits", "Kits", "kits-services"),
    ("kits-starter", "Starter kits", "kits"),
    ("services", "Services", "kits-services"),
    ("services-all", "Gift wrap & warranties", "services"),
]

COLOURS = {
    "Black": "BLK", "Blue": "BLU", "Red": "RED", "Green": "GRN", "Grey": "GRY",
    "Yellow": "YEL", "Navy": "NVY", "Pink": "PNK", "Purple": "PRP", "Orange": "ORG",
    "White": "WHT", "Silver": "SLV", "Burgundy": "BRG", "Tan": "TAN", "Kraft": "KRF",
}  # fmt: skip


def colours(*names: str) -> dict[str, str]:
    return {name: COLOURS[name] for name in names}


FIRST_8 = list(COLOURS)[:8]
PEN_COLOURS = {
    "Black": "K", "Blue": "B", "Red": "R", "Green": "G", "Purple": "P", "Pink": "PK",
    "Orange": "O", "Turquoise": "T",
}  # fmt: skip

# code, name, category, weight kg, axes [(attribute, {value: code} or [values])], descriptive
PRODUCTS = [
    ("NB", "Notebook", "notebooks-hardcover", "0.350",
     [("colour", colours(*FIRST_8)), ("size", ["A4", "A5", "A6"])],
     {"pages": "192", "paper-weight": "90 gsm", "ruling": "Lined"}),
    ("ND", "Dotted notebook", "notebooks-hardcover", "0.340",
     [("colour", colours(*FIRST_8)), ("size", ["A4", "A5", "A6"])],
     {"pages": "192", "paper-weight": "100 gsm", "ruling": "Dotted"}),
    ("SP", "Spiral notebook", "notebooks-spiral", "0.300",
     [("colour", colours("Black", "Blue", "Red", "Green")), ("size", ["A4", "A5", "A6"]),
      ("ruling", ["Lined", "Squared"])],
     {"pages": "160", "paper-weight": "80 gsm"}),
    ("NBS", "Softcover notebook", "notebooks-hardcover", "0.200",
     [("colour", colours(*FIRST_8)), ("size", ["A5", "A6"])],
     {"pages": "96", "paper-weight": "80 gsm", "ruling": "Lined"}),
    ("SK", "Sketchbook", "notebooks-spiral", "0.600",
     [("size", ["A3", "A4", "A5"]), ("surface", ["Smooth", "Textured"])],
     {"paper-weight": "150 gsm"}),
    ("JL", "Leather journal", "journals-planners", "0.450",
     [("colour", colours("Black", "Tan", "Burgundy")), ("size", ["A5", "A6"])],
     {"pages": "240", "material": "Full-grain leather"}),
    ("PL", "Weekly planner 2027", "journals-planners", "0.400",
     [("colour", colours("Black", "Navy", "Pink", "Green")), ("size", ["A5", "A6"])],
     {"pages": "176"}),
    ("PP", "Printer paper", "paper-printer", "2.500",
     [("paper-weight", ["75 gsm", "90 gsm", "120 gsm"]), ("size", ["A4", "Letter"]),
      ("pack", ["500", "2500"])],
     {"brightness": "CIE 161"}),
    ("SN", "Sticky notes", "paper-notes", "0.090",
     [("colour", colours("Yellow", "Pink", "Blue", "Green", "Orange", "Purple")),
      ("size", ["76x76", "76x127"])],
     {"sheets": "100 per pad"}),
    ("EN", "Envelopes", "paper-envelopes", "0.600",
     [("size", ["C4", "C5", "DL"]), ("colour", colours("White", "Kraft"))],
     {"pack": "50"}),
    ("PEN-GEL", "Gel pen", "pens-gel", "0.012", [("ink", PEN_COLOURS)], {"tip": "0.7 mm"}),
    ("PEN-GELF", "Fine gel pen", "pens-gel", "0.011", [("ink", PEN_COLOURS)], {"tip": "0.5 mm"}),
    ("PEN-BP", "Ballpoint pen", "pens-ballpoint", "0.010",
     [("ink", {"Black": "K", "Blue": "B", "Red": "R", "Green": "G"}), ("pack", ["1", "10"])], {}),
    ("PEN-FP", "Fountain pen", "pens-fountain", "0.030",
     [("colour", colours("Black", "Silver", "Burgundy"))], {"nib": "Medium steel"}),
    ("INK", "Ink cartridges", "pens-fountain", "0.020",
     [("ink", {"Black": "K", "Blue": "B", "Turquoise": "T"}), ("pack", ["6", "30"])], {}),
    ("PCL", "Graphite pencil", "pencils", "0.008",
     [("hardness", ["2H", "HB", "2B", "4B", "6B"]), ("pack", ["1", "12"])], {}),
    ("HL", "Highlighter", "markers", "0.015",
     [("colour", colours("Yellow", "Pink", "Green", "Blue", "Orange", "Purple"))], {}),
    ("MK", "Marker", "markers", "0.018",
     [("colour", colours(*FIRST_8)), ("tip", ["Fine", "Chisel"])], {}),
    ("MKP", "Permanent marker", "markers", "0.016",
     [("colour", colours("Black", "Blue", "Red", "Green")), ("tip", ["Fine", "Bullet"])], {}),
    ("CASE", "Notebook case", "cases-covers", "0.150", [("size", ["A4", "A5", "A6"])],
     {"material": "Recycled felt"}),
    ("CASL", "Leather notebook cover", "cases-covers", "0.220",
     [("colour", colours("Black", "Tan", "Burgundy")), ("size", ["A5", "A6"])],
     {"material": "Full-grain leather"}),
    ("PC", "Pencil case", "cases-pencil", "0.080",
     [("colour", colours("Black", "Blue", "Red", "Green", "Grey", "Pink")),
      ("style", ["Zip", "Roll"])],
     {}),
    ("DT", "Desk tray", "desk-trays", "0.700",
     [("colour", colours("Black", "White", "Grey", "Blue")), ("tiers", ["1", "3"])], {}),
    ("CUP", "Pen cup", "desk-trays", "0.200",
     [("colour", colours("Black", "White", "Grey", "Blue", "Green", "Pink"))], {}),
    ("BND", "Ring binder", "desk-filing", "0.450",
     [("colour", colours("Black", "Blue", "Red", "Green", "Grey", "White")),
      ("ring", ["25mm", "50mm"])], {}),
    ("FLD", "Document folders", "desk-filing", "0.300",
     [("colour", colours("Blue", "Red", "Green", "Yellow", "Orange", "Purple")),
      ("pack", ["10", "50"])], {}),
    ("ST", "Stapler", "desk-staplers", "0.400",
     [("colour", colours("Black", "Red", "Silver")), ("size", ["Mini", "Standard"])], {}),
    ("SC", "Scissors", "desk-staplers", "0.090", [("size", ["13cm", "17cm", "21cm"])], {}),
    ("TD", "Tape dispenser", "desk-staplers", "0.350",
     [("colour", colours("Black", "White", "Grey", "Blue"))], {}),
    ("LAMP", "LED desk lamp", "desk-lighting", "1.100",
     [("colour", colours("Black", "White", "Silver"))], {"power": "8 W"}),
]  # fmt: skip

# Discontinued predecessors: code, name, category, axes, replaced by "<product code>" SKUs
DISCONTINUED = [
    ("NB24", "Notebook (2024 edition)", "notebooks-hardcover", "0.360",
     [("colour", colours("Black", "Blue")), ("size", ["A5"])], "NB"),
    ("PEN-GELC", "Classic gel pen", "pens-gel", "0.012",
     [("ink", {"Black": "K", "Blue": "B"})], "PEN-GEL"),
]  # fmt: skip

# single SKUs: code, name, category, weight, kind, service type
SINGLES = [
    ("STAPLES-26", "Staples 26/6, box of 5000", "desk-staplers", "0.150", SKUKind.ITEM, ""),
    ("SVC-GIFTWRAP", "Gift wrap", "services-all", "0", SKUKind.SERVICE, ServiceType.GIFT_WRAP),
    ("SVC-WARRANTY-2Y", "2-year warranty", "services-all", "0", SKUKind.SERVICE,
     ServiceType.WARRANTY),
    ("SVC-ENGRAVE", "Engraving (up to 20 letters)", "services-all", "0", SKUKind.SERVICE, ""),
]  # fmt: skip

KITS = [
    ("KIT-STUDENT", "Student starter kit", "kits-starter",
     {"NB-BLK-A5": 2, "PEN-GEL-B": 3, "PCL-HB-1": 2, "PC-BLK-ZIP": 1, "HL-YEL": 1}),
    ("KIT-OFFICE", "Office starter kit", "kits-starter",
     {"ST-BLK-STANDARD": 1, "STAPLES-26": 1, "TD-BLK": 1, "SN-YEL-76X76": 4, "PEN-BP-K-10": 1}),
    ("KIT-SKETCH", "Sketching kit", "kits-starter",
     {"ND-BLK-A5": 1, "PCL-2B-12": 1, "PCL-6B-1": 2, "SC-13CM": 1}),
]  # fmt: skip

ATTRIBUTE_NAMES = {
    "colour": "Colour", "size": "Size", "ruling": "Ruling", "pages": "Pages",
    "paper-weight": "Paper weight", "pack": "Pack of", "ink": "Ink colour", "hardness": "Hardness",
    "tip": "Tip", "style": "Style", "tiers": "Tiers", "material": "Material", "nib": "Nib",
    "brightness": "Brightness", "surface": "Surface", "ring": "Ring size", "sheets": "Sheets",
    "power": "Power",
}  # fmt: skip


def _categories(log) -> dict[str, Category]:
    found = {}
    for code, name, parent in CATEGORIES:
        node, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "parent": found.get(parent)}
        )
        found[code] = node
    log(f"  {len(found)} categories in a 3-level tree")
    return found


def _attribute(code: str) -> Attribute:
    attribute, _ = Attribute.objects.get_or_create(
        code=code, defaults={"name": ATTRIBUTE_NAMES.get(code, code.title())}
    )
    return attribute


def _product(code, name, category, weight, axes, descriptive, **dates) -> tuple[Product, int]:
    product, _ = Product.objects.get_or_create(
        code=code, defaults={"name": name, "category": category, **dates}
    )
    for position, (attribute_code, values) in enumerate(axes):
        attribute = _attribute(attribute_code)
        axis, _ = ProductAxis.objects.get_or_create(
            product=product, attribute=attribute, defaults={"position": position}
        )
        pairs = values.items() if isinstance(values, dict) else ((v, "") for v in values)
        wanted = []
        for i, (value, short) in enumerate(pairs):
            row, _ = AttributeValue.objects.get_or_create(
                attribute=attribute, value=value, defaults={"code": short, "position": i}
            )
            wanted.append(row)
        axis.values.add(*wanted)
    for attribute_code, value in descriptive.items():
        DescriptiveValue.objects.get_or_create(
            product=product, attribute=_attribute(attribute_code), defaults={"value": value}
        )
    created = services.generate_skus(product=product, weight_kg=Decimal(weight))
    return product, len(created)


def load(log) -> None:
    now = timezone.now()
    long_ago = now - timedelta(days=400)
    cats = _categories(log)
    added = 0
    for code, name, category, weight, axes, descriptive in PRODUCTS:
        dates = {"available_from": long_ago, "announced_at": long_ago - timedelta(days=30)}
        if code == "PL":  # next year's planner: announced, orderable in three weeks
            dates = {
                "announced_at": now - timedelta(days=5),
                "available_from": now + timedelta(days=21),
            }
        _, n = _product(code, name, cats[category], weight, axes, descriptive, **dates)
        added += n

    for code, name, category, weight, axes, successor in DISCONTINUED:
        product, n = _product(
            code, name, cats[category], weight, axes, {},
            available_from=now - timedelta(days=800), discontinued_at=now - timedelta(days=60),
        )  # fmt: skip
        added += n
        for sku in product.skus.all():
            # the same variant of the successor: NB24-BLK-A5 -> NB-BLK-A5
            target = SKU.objects.filter(code=successor + sku.code[len(code) :]).first()
            if target:
                services.association_add(
                    source=sku, target=target, kind="replacement", note="Same paper, new cover"
                )

    for code, name, category, weight, kind, service_type in SINGLES:
        product, _ = Product.objects.get_or_create(
            code=code,
            defaults={"name": name, "category": cats[category], "available_from": long_ago,
                      "tax_code": "standard"},
        )  # fmt: skip
        _sku, created = SKU.objects.get_or_create(
            code=code,
            defaults={"product": product, "name": name, "weight_kg": Decimal(weight),
                      "kind": kind, "service_type": service_type},
        )  # fmt: skip
        added += created

    for code, name, category, parts in KITS:
        product, _ = Product.objects.get_or_create(
            code=code,
            defaults={"name": name, "category": cats[category], "available_from": long_ago},
        )
        kit, created = SKU.objects.get_or_create(
            code=code, defaults={"product": product, "name": name, "kind": SKUKind.KIT}
        )
        if created:
            components = {SKU.objects.get(code=c): q for c, q in parts.items()}
            kit.weight_kg = sum((c.weight_kg * q for c, q in components.items()), Decimal("0"))
            kit.save(update_fields=["weight_kg"])
            services.kit_set_components(kit=kit, components=components)
            added += 1

    _associations()
    log(f"  {added} SKUs added, {SKU.objects.count()} in the catalog")


def _associations() -> None:
    def link(source: str, target: str, kind: str, rank: int = 0) -> None:
        source_sku = SKU.objects.filter(code=source).first()
        target_sku = SKU.objects.filter(code=target).first()
        if source_sku and target_sku:
            services.association_add(source=source_sku, target=target_sku, kind=kind, rank=rank)

    for colour in list(COLOURS.values())[:8]:
        for size in ("A4", "A5", "A6"):
            nb, nd = f"NB-{colour}-{size}", f"ND-{colour}-{size}"
            link(nb, f"CASE-{size}", "accessory")
            link(nd, f"CASE-{size}", "accessory")
            link(nb, nd, "alternative")
            link(nd, nb, "alternative")
            link(nb, "PEN-GEL-K", "cross_sell")
    for colour in ("BLK", "TAN", "BRG"):
        link("NB-BLK-A5", f"JL-{colour}-A5", "up_sell")
    link("CASE-A5", "CASL-BLK-A5", "up_sell")
    link("PEN-GEL-B", "PEN-FP-BLK", "up_sell")
    link("PEN-FP-BLK", "INK-K-6", "accessory")
    link("PEN-FP-SLV", "INK-B-6", "accessory")
    for colour in ("BLK", "WHT", "SLV"):
        link(f"LAMP-{colour}", "SVC-WARRANTY-2Y", "accessory")
    for kit in ("KIT-STUDENT", "KIT-OFFICE", "KIT-SKETCH"):
        link(kit, "SVC-GIFTWRAP", "cross_sell")
    link("ST-BLK-STANDARD", "STAPLES-26", "accessory")
    link("ST-BLK-MINI", "STAPLES-26", "accessory")


DEMO = DemoData(load=load)
