"""Phone numbers: typed in any format, stored as E.164, shown the way the caller says them."""

import phonenumbers
from django.conf import settings

from core.phones import format_phone

__all__ = ["format_phone", "normalize_phone"]


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Any typed phone number to E.164 ('(555) 010-2233' -> '+15550102233'); '' stays ''.

    Raises ValueError with a message for the CSR when it cannot be a phone number. Numbers are
    checked for a possible length and shape, not against the numbering plan, so fictional
    555 numbers are accepted.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.STORE_COUNTRY)
    except phonenumbers.NumberParseException:
        raise ValueError(
            "This is not a phone number; enter it with the area code, e.g. (555) 010-2233."
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(
            "This phone number has the wrong number of digits; "
            "enter it with the area code, e.g. (555) 010-2233."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
