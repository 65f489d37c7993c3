"""`{{ number|phone }}`: a stored phone number in the one format every screen shows."""

from django import template

from core.phones import format_phone

register = template.Library()


@register.filter
def phone(value) -> str:
    return format_phone(str(value or ""))
