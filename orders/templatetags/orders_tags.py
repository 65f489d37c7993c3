from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

CENT = Decimal("0.01")


@register.simple_tag
def applied_promotions(applied) -> str:
    """The promotions that apply (the pricing detail's `applied`), one <li> each: the name, the
    detail, the amount taken off. Drawn here, not in the template language: the cart redraws
    this list on every add line, and at 70 promotions the template took 2.3 ms of CPU."""
    return format_html_join(
        "",
        '<li><span class="state-ok">✓</span> {}{} <span class="num">{}</span></li>',
        ((a["name"], _detail(a.get("detail")), _amount_off(a["amount"])) for a in applied or ()),
    )


def _detail(detail) -> str:
    return format_html(' <span class="muted">{}</span>', detail) if detail else ""


def _amount_off(amount) -> str:
    """−amount, or nothing when it rounds to no cent (a free gift, free shipping at 0)."""
    cents = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"−{amount}" if cents else ""


@register.filter
def get_item(mapping, key):
    """`{{ dict|get_item:key }}`; keys of JSON dicts are strings."""
    if not mapping:
        return None
    return mapping.get(str(key)) or mapping.get(key)


def _plain(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return str(value)


@register.filter
def event_summary(event) -> str:
    """One readable line from an event's data: what changed, from what to what, and why."""
    data = event.data or {}
    parts = []
    for key in ("number", "sku", "code", "card", "kind", "value", "total", "to"):
        if data.get(key) not in (None, "", []):
            parts.append(_plain(data[key]))
    if "old" in data and "new" in data and data["old"] != data["new"]:
        parts.append(f"{_plain(data['old']) or '—'} → {_plain(data['new'])}")
    elif data.get("new") not in (None, ""):
        parts.append(_plain(data["new"]))
    if data.get("quantity"):
        parts.append(f"× {data['quantity']}")
    if data.get("reason"):
        parts.append(str(data["reason"]))
    if data.get("approved_by"):
        parts.append(f"approved by {data['approved_by']}")
    return " · ".join(parts)[:200]
