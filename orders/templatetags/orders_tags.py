from django import template

register = template.Library()


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
