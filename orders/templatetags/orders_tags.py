from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ dict|get_item:key }}`; keys of JSON dicts are strings."""
    if not mapping:
        return None
    return mapping.get(str(key)) or mapping.get(key)
