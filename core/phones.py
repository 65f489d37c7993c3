"""How a stored phone number (E.164) is shown, on every screen: the way the caller says it."""

import phonenumbers
from django.conf import settings


def format_phone(e164: str) -> str:
    """'+15550102233' -> '(555) 010-2233' in North America (the national format), the
    international format elsewhere ('+44 20 7946 0958'). A number typed without its country
    is read as the store's; what is no number stays as typed."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, settings.STORE_COUNTRY)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
