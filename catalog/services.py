"""Write paths of the catalog. Store admins mostly work in Django admin, which calls these for
anything beyond a plain row edit (SKU generation, kits, associations, lifecycle dates)."""

import itertools

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import (
    SKU,
    Association,
    AssociationKind,
    CatalogEvent,
    KitComponent,
    Product,
    ProductState,
    SKUAttributeValue,
    SKUKind,
    state_at,
)
from core.errors import DomainError
from core.events import EventType
from core.permissions import require
from core.roles import Perm


def _require_admin(actor, action: str) -> None:
    # actor=None is the system itself (demo data, load generators, migrations).
    if actor is not None:
        require(actor, Perm.MANAGE_STORE, action)


def _fmt_date(value) -> str:
    return timezone.localtime(value).strftime("%-d %b %Y")


# --- the buyable rule, as a refusal ------------------------------------------------------------


def not_buyable_reason(sku: SKU, *, now=None) -> str | None:
    """Why `sku` cannot be ordered now, in words a CSR can repeat; None when it can.

    Whether it is buyable is decided by the one rule (SKU.objects.buyable); this only explains.
    """
    now = now or timezone.now()
    if SKU.objects.filter(pk=sku.pk).buyable(now).exists():
        return None
    sku = SKU.objects.select_related("product").get(pk=sku.pk)
    label = f"{sku.code} ({sku.name})"
    product = sku.product
    state = state_at(
        available_from=product.available_from,
        discontinued_at=product.discontinued_at,
        withdrawn_at=product.withdrawn_at,
        now=now,
    )
    if not sku.is_active:
        reason = f"{label} is no longer sold (inactive SKU)"
    elif state == ProductState.WITHDRAWN:
        reason = f"{label} was withdrawn on {_fmt_date(product.withdrawn_at)}"
    elif state == ProductState.DISCONTINUED:
        reason = f"{label} is discontinued since {_fmt_date(product.discontinued_at)}"
    elif state == ProductState.ANNOUNCED:
        when = (
            f"available from {_fmt_date(product.available_from)}"
            if product.available_from
            else "not available yet (no date announced)"
        )
        reason = f"{label} is announced but {when}"
    else:
        blocked = [
            component.component.code
            for component in sku.components.select_related("component")
            if not SKU.objects.filter(pk=component.component_id).buyable(now).exists()
        ]
        reason = f"{label} is a kit with a part that cannot be sold now ({', '.join(blocked)})"
    replacement = (
        sku.associations.filter(kind__in=[AssociationKind.REPLACEMENT, AssociationKind.ALTERNATIVE])
        .filter(target__in=SKU.objects.buyable(now))
        .select_related("target")
        .order_by("kind", "rank")
        .first()
    )
    if replacement:
        word = replacement.get_kind_display().lower()
        reason += f"; {word}: {replacement.target.code} ({replacement.target.name})"
    return reason + "."


def ensure_buyable(sku: SKU, *, now=None, field: str | None = "sku") -> None:
    """Refuse a SKU that cannot be ordered: DomainError("NB-OLD-A5 (...) is discontinued ...")."""
    reason = not_buyable_reason(sku, now=now)
    if reason:
        raise DomainError(reason, field=field, extra={"sku": sku.code})


# --- SKUs from defining attributes ------------------------------------------------------------


def variant_key(value_ids) -> str:
    return ".".join(str(pk) for pk in sorted(value_ids))


@transaction.atomic
def generate_skus(*, product: Product, actor=None, weight_kg=None) -> list[SKU]:  # noqa: C901 (complexity debt, listed in docs/architecture.md)
    """Create one SKU for every combination of the product's defining attribute values that has
    none yet; existing SKUs are kept. Codes are "<product code>-<value code>-...", names
    "<product name>, <value>, ...". Returns the SKUs created (possibly none)."""
    _require_admin(actor, "generate SKUs")
    product = Product.objects.select_for_update().get(pk=product.pk)
    axes = list(product.axes.select_related("attribute").prefetch_related("values"))
    if not axes:
        raise DomainError(
            f"{product.code} has no defining attributes; add some (e.g. colour, size) first."
        )
    value_lists = []
    for axis in axes:
        values = sorted(axis.values.all(), key=lambda v: (v.position, v.value))
        if not values:
            raise DomainError(
                f"Defining attribute {axis.attribute.name} of {product.code} has no values."
            )
        strangers = [v.value for v in values if v.attribute_id != axis.attribute_id]
        if strangers:
            raise DomainError(
                f"{', '.join(strangers)} are not values of {axis.attribute.name} "
                f"(defining attribute of {product.code})."
            )
        value_lists.append(values)

    existing = set(product.skus.exclude(variant_key="").values_list("variant_key", flat=True))
    if weight_kg is None:
        weight_kg = product.skus.order_by("pk").values_list("weight_kg", flat=True).first() or 0
    planned = []
    for combo in itertools.product(*value_lists):
        key = variant_key(v.pk for v in combo)
        if key in existing:
            continue
        code = "-".join([product.code.upper(), *(v.sku_code_part for v in combo)])
        name = ", ".join([product.name, *(v.value for v in combo)])
        planned.append(
            (
                SKU(
                    code=code,
                    name=name[:200],
                    product=product,
                    variant_key=key,
                    weight_kg=weight_kg,
                ),
                combo,
            )
        )
    if not planned:
        return []
    clashes = list(
        SKU.objects.filter(code__in=[sku.code for sku, _ in planned]).values_list("code", flat=True)
    )
    if clashes:
        raise DomainError(
            f"SKU code {clashes[0]} is already used by another SKU; "
            "give the attribute values distinct codes."
        )
    try:
        created = SKU.objects.bulk_create([sku for sku, _ in planned])
    except IntegrityError as exc:  # a concurrent generation or an odd code clash
        raise DomainError(f"SKUs of {product.code} could not be created: {exc}") from exc
    if any(sku.pk is None for sku in created):
        by_code = dict(
            SKU.objects.filter(code__in=[s.code for s in created]).values_list("code", "pk")
        )
        for sku in created:
            sku.pk = sku.id = by_code[sku.code]
    SKUAttributeValue.objects.bulk_create(
        SKUAttributeValue(sku=sku, attribute_id=value.attribute_id, value=value)
        for sku, (_, combo) in zip(created, planned, strict=True)
        for value in combo
    )
    CatalogEvent.objects.create(
        event_type=EventType.CATALOG_SKUS_GENERATED,
        actor=actor,
        product=product,
        data={"created": [sku.code for sku in created]},
    )
    return created


def sku_combination_key(*, product: Product, values, sku: SKU | None = None) -> str:
    """The variant key of a SKU of `product` with these attribute values, refused unless it is
    one value of each of the product's defining attributes, from the values it comes in, that no
    other SKU of the product has (one SKU per combination). A product without defining
    attributes takes SKUs without values. The admin's SKU form and the SKU import both ask this.
    """
    axes = list(product.axes.select_related("attribute").prefetch_related("values"))
    values = list(values)
    if not axes:
        if values:
            raise DomainError(
                f"{product.code} has no defining attributes, so its SKUs have no attribute values.",
                field="attribute_values",
            )
        return ""
    by_attribute: dict[int, list] = {}
    for value in values:
        by_attribute.setdefault(value.attribute_id, []).append(value)
    names = ", ".join(axis.attribute.name for axis in axes)
    for axis in axes:
        chosen = by_attribute.pop(axis.attribute_id, [])
        if len(chosen) != 1:
            raise DomainError(
                f"{product.code} comes in {names}: give the SKU exactly one "
                f"{axis.attribute.name} (it has {len(chosen)}).",
                field="attribute_values",
            )
        if chosen[0] not in axis.values.all():
            raise DomainError(
                f"{product.code} does not come in {axis.attribute.name} {chosen[0].value}.",
                field="attribute_values",
            )
    if by_attribute:
        strangers = ", ".join(v.value for chosen in by_attribute.values() for v in chosen)
        raise DomainError(
            f"{strangers}: not a value of a defining attribute of {product.code} ({names}).",
            field="attribute_values",
        )
    key = variant_key(value.pk for value in values)
    taken = product.skus.filter(variant_key=key).exclude(pk=sku.pk if sku else None).first()
    if taken:
        raise DomainError(
            f"{taken.code} already is {', '.join(v.value for v in values)} of {product.code} "
            "(one SKU per combination).",
            field="attribute_values",
        )
    return key


@transaction.atomic
def sku_set_combination(*, sku: SKU, values, actor=None) -> SKU:
    """Give `sku` its combination of defining attribute values (checked as above)."""
    _require_admin(actor, "change SKUs")
    values = list(values)
    key = sku_combination_key(product=sku.product, values=values, sku=sku)
    sku.values.all().delete()
    SKUAttributeValue.objects.bulk_create(
        SKUAttributeValue(sku=sku, attribute_id=value.attribute_id, value=value) for value in values
    )
    if sku.variant_key != key:
        sku.variant_key = key
        sku.save(update_fields=["variant_key"])
    return sku


# --- lifecycle ----------------------------------------------------------------------------------


@transaction.atomic
def product_set_dates(*, product: Product, actor=None, **dates) -> Product:
    """Change announced_at / available_from / discontinued_at / withdrawn_at; state follows."""
    _require_admin(actor, "change product dates")
    allowed = {"announced_at", "available_from", "discontinued_at", "withdrawn_at"}
    unknown = set(dates) - allowed
    if unknown:
        raise DomainError(f"Unknown product date(s): {', '.join(sorted(unknown))}.")
    product = Product.objects.select_for_update().get(pk=product.pk)
    old = {name: getattr(product, name) for name in dates}
    for name, value in dates.items():
        setattr(product, name, value)
    product.full_clean(exclude=["category"])
    product.save()
    CatalogEvent.objects.create(
        event_type=EventType.CATALOG_PRODUCT_DATES_CHANGED,
        actor=actor,
        product=product,
        data={
            "old": {k: v.isoformat() if v else None for k, v in old.items()},
            "new": {k: v.isoformat() if v else None for k, v in dates.items()},
            "state": product.state,
        },
    )
    return product


@transaction.atomic
def product_discontinue(
    *, product: Product, actor=None, at=None, replacement: SKU | None = None
) -> Product:
    """Discontinue a product (now or at a date); optionally point each of its SKUs to a
    replacement SKU, which the CSR then sees next to it."""
    product = product_set_dates(product=product, actor=actor, discontinued_at=at or timezone.now())
    if replacement is not None:
        for sku in product.skus.all():
            association_add(
                source=sku, target=replacement, kind=AssociationKind.REPLACEMENT, actor=actor
            )
    return product


# --- associations and kits --------------------------------------------------------------------


@transaction.atomic
def association_add(
    *, source: SKU, target: SKU, kind: str, actor=None, rank: int = 0, note: str = ""
) -> Association:
    _require_admin(actor, "change catalog associations")
    if source.pk == target.pk:
        raise DomainError("A SKU cannot be associated with itself.", field="target")
    if kind not in AssociationKind.values:
        raise DomainError(f"Unknown association kind {kind!r}.", field="kind")
    association, created = Association.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"rank": rank, "note": note}
    )
    if created:
        _association_event(EventType.CATALOG_ASSOCIATION_ADDED, association, actor)
    return association


def record_admin_inline_changes(*, sku: SKU, formset, actor) -> None:
    """Audit rows for kit and association rows edited inline on the admin's SKU page, as the
    services write them (Django's admin history keeps only its own summary)."""
    if formset.model is Association:
        for association in formset.new_objects:
            _association_event(EventType.CATALOG_ASSOCIATION_ADDED, association, actor)
        for association, fields in formset.changed_objects:
            _association_event(
                EventType.CATALOG_ASSOCIATION_ADDED, association, actor, changed=fields
            )
        for association in formset.deleted_objects:
            _association_event(EventType.CATALOG_ASSOCIATION_REMOVED, association, actor)
    elif formset.model is KitComponent and (
        formset.new_objects or formset.changed_objects or formset.deleted_objects
    ):
        CatalogEvent.objects.create(
            event_type=EventType.CATALOG_KIT_CHANGED,
            actor=actor,
            sku=sku,
            data={
                "new": {c.component.code: c.quantity for c in sku.components.all()},
                "by": "admin",
            },
        )


def _association_event(event_type, association: Association, actor, **extra) -> None:
    CatalogEvent.objects.create(
        event_type=event_type,
        actor=actor,
        sku_id=association.source_id,
        data={"target": association.target.code, "kind": association.kind, **extra},
    )


@transaction.atomic
def kit_set_components(*, kit: SKU, components: dict[SKU, int], actor=None) -> SKU:
    """Make `kit` a kit of these component SKUs and quantities (replacing any previous list)."""
    _require_admin(actor, "change kits")
    if not components:
        raise DomainError("A kit needs at least one component.", field="components")
    for component, quantity in components.items():
        if component.pk == kit.pk:
            raise DomainError("A kit cannot contain itself.", field="components")
        if component.kind != SKUKind.ITEM:
            raise DomainError(
                f"{component.code} is a {component.get_kind_display().lower()}; "
                "kits are made of items.",
                field="components",
            )
        if quantity < 1:
            raise DomainError(f"Quantity of {component.code} must be at least 1.")
    kit = SKU.objects.select_for_update().get(pk=kit.pk)
    old = {c.component.code: c.quantity for c in kit.components.select_related("component")}
    kit.components.all().delete()
    KitComponent.objects.bulk_create(
        KitComponent(kit=kit, component=component, quantity=quantity)
        for component, quantity in components.items()
    )
    if kit.kind != SKUKind.KIT:
        kit.kind = SKUKind.KIT
        kit.save(update_fields=["kind"])
    CatalogEvent.objects.create(
        event_type=EventType.CATALOG_KIT_CHANGED,
        actor=actor,
        sku=kit,
        data={"old": old, "new": {c.code: q for c, q in components.items()}},
    )
    return kit


def refresh_product_states(*, now=None) -> int:
    """Bring the stored `Product.state` in line with the dates (a scheduled launch or
    discontinuation passed since the last save). Idempotent; returns rows changed. The buyable
    rule itself reads the dates, so this only keeps displays and state filters current."""
    now = now or timezone.now()
    from django.db.models import Q

    withdrawn = Q(withdrawn_at__lte=now)
    discontinued = Q(discontinued_at__lte=now) & ~withdrawn
    available = Q(available_from__lte=now) & ~Q(discontinued_at__lte=now) & ~withdrawn
    rules = [
        (ProductState.WITHDRAWN, withdrawn),
        (ProductState.DISCONTINUED, discontinued),
        (ProductState.AVAILABLE, available),
        (
            ProductState.ANNOUNCED,
            ~withdrawn & ~Q(discontinued_at__lte=now) & ~Q(available_from__lte=now),
        ),
    ]
    changed = 0
    for state, condition in rules:
        changed += Product.objects.filter(condition).exclude(state=state).update(state=state)
    return changed
