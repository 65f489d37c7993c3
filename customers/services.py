"""Write paths for customers: one keyword-only function per business action.

Each runs in one transaction, checks the actor's permission, writes one CustomerEvent per change
(old and new values) and raises a DomainError with a message a CSR can act on. Input errors are
collected per field (`CustomerInvalid.errors`) so a screen can show them all at once.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth.password_validation import (
    UserAttributeSimilarityValidator,
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_countries import countries

from core import payments
from core.errors import DomainError
from core.events import EventType
from core.permissions import require
from core.roles import Perm
from customers import password_links
from customers.models import (
    Address,
    CardBrand,
    Customer,
    CustomerEvent,
    CustomerNote,
    Gender,
    IncomeBand,
    Organization,
    PaymentMethod,
    Segment,
)
from customers.phones import format_phone, normalize_phone  # noqa: F401 (re-exported)
from customers.tasks import send_password_link

LOGON_ID_RE = re.compile(r"^[\w.@+-]{3,150}$")
POSTAL_CODE_RES = {
    "CA": (re.compile(r"^[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d$"), "like K1A 0B1"),
    "US": (re.compile(r"^\d{5}(-\d{4})?$"), "like 90210 or 90210-1234"),
}
CUSTOMER_FIELDS = (
    "logon_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_currency",
    "preferred_language",
    "challenge_question",
    "gender",
    "date_of_birth",
    "income_band",
    "organization",
)
ADDRESS_FIELDS = (
    "nickname",
    "first_name",
    "last_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
ADDRESS_REQUIRED = {
    "nickname": "Give the address a nickname, e.g. Home.",
    "line1": "Enter the street address.",
    "city": "Enter the city.",
    "postal_code": "Enter the ZIP or postal code.",
    "country": "Choose the country.",
}


class CustomerInvalid(DomainError):
    """Some inputs are not valid; `errors` maps each field to its messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]]):
        first_field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=first_field, extra={"fields": errors})
        self.errors = errors


class CustomerDisabled(DomainError):
    code = "customer_disabled"
    http_status = 409


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise CustomerInvalid(dict(self))


# --- helpers ---------------------------------------------------------------------------------


def _require_desk(actor, action: str) -> None:
    """CSRs act through the desk; store admins through Django admin and imports."""
    if actor is not None and actor.is_active and actor.has_perm(Perm.MANAGE_STORE):
        return
    require(actor, Perm.USE_DESK, action)


def _event(customer: Customer, event_type: EventType, actor, summary: str, **data) -> None:
    CustomerEvent.objects.create(
        customer=customer,
        event_type=event_type,
        actor=actor if actor is not None and actor.pk else None,
        summary=summary[:255],
        data=data,
    )


def _plain(value):
    """JSON-safe audit value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "code"):  # django-countries Country
        return value.code
    return str(value)


def _clean_customer_fields(data: dict, errors: _Errors, *, instance: Customer | None) -> dict:  # noqa: C901, PLR0912, PLR0915 (complexity debt, listed in docs/architecture.md)
    """Validate and normalise the profile fields present in `data`; returns the clean values."""
    clean: dict = {}
    for key in ("first_name", "last_name", "challenge_question", "preferred_language"):
        if key in data:
            clean[key] = (data[key] or "").strip()
    for key, label in (("first_name", "first name"), ("last_name", "last name")):
        if key in clean and not clean[key]:
            errors.add(key, f"Enter the customer's {label}.")

    if "logon_id" in data:
        logon_id = (data["logon_id"] or "").strip()
        if not logon_id:
            errors.add("logon_id", "Enter a logon ID, e.g. the customer's e-mail address.")
        elif not LOGON_ID_RE.match(logon_id):
            errors.add(
                "logon_id",
                "A logon ID has 3 to 150 letters, digits and @ . + - _ (no spaces).",
            )
        else:
            taken = Customer.objects.filter(logon_id__iexact=logon_id)
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors.add(
                    "logon_id",
                    f"The logon ID {logon_id} is already taken; "
                    "find that customer or choose another ID.",
                )
        clean["logon_id"] = logon_id

    if "email" in data:
        email = (data["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.add("email", f"{email} is not an e-mail address; check it with the caller.")
            else:
                local, _, domain = email.rpartition("@")
                email = f"{local}@{domain.lower()}"
        clean["email"] = email

    if "phone" in data:
        try:
            clean["phone"] = normalize_phone(data["phone"])
        except ValueError as exc:
            errors.add("phone", str(exc))

    if "preferred_currency" in data:
        currency = (data["preferred_currency"] or settings.STORE_CURRENCY).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            errors.add("preferred_currency", "Use a three-letter currency code, e.g. CAD.")
        clean["preferred_currency"] = currency

    if "gender" in data:
        gender = data["gender"] or ""
        if gender and gender not in Gender.values:
            errors.add("gender", "Choose one of the listed options or leave it empty.")
        clean["gender"] = gender
    if "income_band" in data:
        band = data["income_band"] or ""
        if band and band not in IncomeBand.values:
            errors.add("income_band", "Choose one of the listed income bands or leave it empty.")
        clean["income_band"] = band
    if "date_of_birth" in data:
        dob = data["date_of_birth"] or None
        if isinstance(dob, str):
            try:
                dob = dt.date.fromisoformat(dob)
            except ValueError:
                errors.add("date_of_birth", "Enter the date of birth as YYYY-MM-DD.")
                dob = None
        if dob and not (dt.date(1900, 1, 1) <= dob <= timezone.localdate()):
            errors.add("date_of_birth", "The date of birth must be in the past.")
        clean["date_of_birth"] = dob

    if "organization" in data:
        org = data["organization"]
        if org is not None and not isinstance(org, Organization):
            org = Organization.objects.filter(pk=org).first()
            if org is None:
                errors.add("organization", "There is no such organization.")
        clean["organization"] = org
    return clean


def _clean_address_fields(  # noqa: C901, PLR0912 (complexity debt, listed in docs/architecture.md)
    data: dict, errors: _Errors, *, prefix: str = "", partial: bool = False
) -> dict:
    clean: dict = {}
    for key in ADDRESS_FIELDS:
        if key in data:
            value = data[key]
            clean[key] = value.strip() if isinstance(value, str) else value
    if not partial:
        for key, message in ADDRESS_REQUIRED.items():
            if not clean.get(key):
                errors.add(prefix + key, message)
    else:
        for key, message in ADDRESS_REQUIRED.items():
            if key in clean and not clean[key]:
                errors.add(prefix + key, message)
    country = clean.get("country")
    if country:
        code = str(getattr(country, "code", country)).strip().upper()
        if code not in dict(countries):
            name_match = countries.by_name(str(country))
            if name_match:
                code = name_match
            else:
                errors.add(
                    prefix + "country",
                    f"{country} is not a country we know; choose one from the list.",
                )
        clean["country"] = code
        postal = clean.get("postal_code")
        if postal and code in POSTAL_CODE_RES:
            pattern, example = POSTAL_CODE_RES[code]
            if not pattern.match(postal):
                errors.add(
                    prefix + "postal_code",
                    f"{postal} is not a postal code of {countries.name(code)}; it looks {example}.",
                )
            elif code == "CA":
                squashed = postal.replace(" ", "").replace("-", "").upper()
                clean["postal_code"] = f"{squashed[:3]} {squashed[3:]}"
    if clean.get("phone"):
        try:
            clean["phone"] = normalize_phone(clean["phone"], region=clean.get("country"))
        except ValueError as exc:
            errors.add(prefix + "phone", str(exc))
    if clean.get("region"):
        clean["region"] = clean["region"].upper()
    return clean


def _check_password(password: str, errors: _Errors, *, field: str, like: dict) -> None:
    if not password:
        errors.add(field, "Enter a password (the customer can change it later).")
        return
    # The staff password policy, judged against an unsaved customer (the similarity check reads
    # the model's verbose names), plus similarity to the logon ID, a customer's user name.
    customer = Customer(
        **{name: like.get(name, "") for name in ("logon_id", "first_name", "last_name", "email")}
    )
    validators = [
        *get_default_password_validators(),
        UserAttributeSimilarityValidator(user_attributes=("logon_id",)),
    ]
    try:
        validate_password(password, user=customer, password_validators=validators)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add(field, message)


# --- customers -------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor,
    logon_id: str,
    password: str,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    preferred_currency: str | None = None,
    preferred_language: str = "en",
    challenge_question: str = "",
    challenge_answer: str = "",
    gender: str = "",
    date_of_birth: dt.date | str | None = None,
    income_band: str = "",
    organization: Organization | int | None = None,
    segments=(),
    address: dict | None = None,
) -> Customer:
    """Create an enabled customer, with an optional first address (default billing and
    shipping). Nothing is saved unless every field is valid."""
    _require_desk(actor, "create customers")
    errors = _Errors()
    data = {
        "logon_id": logon_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "preferred_currency": preferred_currency or settings.STORE_CURRENCY,
        "preferred_language": preferred_language or "en",
        "challenge_question": challenge_question,
        "gender": gender,
        "date_of_birth": date_of_birth,
        "income_band": income_band,
        "organization": organization,
    }
    clean = _clean_customer_fields(data, errors, instance=None)
    _check_password(password, errors, field="password", like=clean)
    if bool(challenge_question.strip()) != bool((challenge_answer or "").strip()):
        field = "challenge_answer" if challenge_question.strip() else "challenge_question"
        errors.add(field, "Enter both the challenge question and its answer, or neither.")
    clean_address = None
    if address:
        address = {"first_name": first_name, "last_name": last_name, **address}
        clean_address = _clean_address_fields(address, errors, prefix="address_")
    errors.raise_if_any()

    customer = Customer(**clean)
    customer.set_password(password)
    customer.set_challenge_answer(challenge_answer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise CustomerInvalid(
            {"logon_id": [f"The logon ID {clean['logon_id']} was just taken; choose another."]}
        ) from None
    segment_list = list(segments or ())
    if segment_list:
        customer.segments.add(*segment_list)
    _event(
        customer,
        EventType.CUSTOMER_CREATED,
        actor,
        f"Created {customer.full_name} ({customer.logon_id})",
        new={k: _plain(v) for k, v in clean.items()},
        segments=[s.code for s in segment_list],
    )
    if clean_address:
        address_obj = Address(
            customer=customer, is_default_billing=True, is_default_shipping=True, **clean_address
        )
        address_obj.save()
        _event(
            customer,
            EventType.ADDRESS_ADDED,
            actor,
            f"Added address {address_obj.nickname}",
            address_id=address_obj.pk,
            new={k: _plain(v) for k, v in clean_address.items()},
        )
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict) -> Customer:
    """Change profile fields (any of CUSTOMER_FIELDS plus challenge_answer); one audit row
    listing each changed field with its old and new value."""
    _require_desk(actor, "change customer profiles")
    unknown = set(data) - set(CUSTOMER_FIELDS) - {"challenge_answer"}
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    errors = _Errors()
    clean = _clean_customer_fields(data, errors, instance=customer)
    new_answer = data.get("challenge_answer")
    question = clean.get("challenge_question", customer.challenge_question)
    if (
        "challenge_question" in clean
        and clean["challenge_question"]
        and not (customer.challenge_answer or (new_answer or "").strip())
    ):
        errors.add("challenge_answer", "Enter the answer to the challenge question.")
    if (new_answer or "").strip() and not question:
        errors.add("challenge_question", "Enter the challenge question for this answer.")
    errors.raise_if_any()

    changes = {}
    for key, value in clean.items():
        old = getattr(customer, key)
        if old != value:
            changes[key] = {"old": _plain(old), "new": _plain(value)}
            setattr(customer, key, value)
    if "challenge_question" in clean and not clean["challenge_question"]:
        if customer.challenge_answer:
            changes["challenge_answer"] = {"old": "(set)", "new": "(removed)"}
        customer.challenge_answer = ""
    elif (new_answer or "").strip():
        customer.set_challenge_answer(new_answer)
        changes["challenge_answer"] = {"old": "(hidden)", "new": "(changed)"}
    if not changes:
        return customer
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise CustomerInvalid(
            {"logon_id": ["That logon ID was just taken by another customer; choose another."]}
        ) from None
    _event(
        customer,
        EventType.CUSTOMER_UPDATED,
        actor,
        "Changed " + ", ".join(k.replace("_", " ") for k in changes),
        changes=changes,
    )
    return customer


@transaction.atomic
def customer_save_in_admin(
    *, actor, customer: Customer, created: bool, changed_fields: list[str], changes: dict
) -> Customer:
    """Save a customer that a store admin edited in Django admin (its form validated the
    fields), with the audit row the desk's services write: `changes` maps each changed field
    to its old and new value."""
    customer.save()
    if created:
        _event(
            customer,
            EventType.CUSTOMER_CREATED,
            actor,
            f"Created in admin: {customer.full_name} ({customer.logon_id})",
        )
    elif changed_fields:
        _event(
            customer,
            EventType.CUSTOMER_UPDATED,
            actor,
            "Changed in admin: " + ", ".join(changed_fields),
            changes=changes,
        )
    return customer


def customer_record_import(*, actor, customer: Customer, row) -> None:
    """The audit row of a customer imported from CSV (the import's own transaction saved it)."""
    _event(
        customer,
        EventType.CUSTOMER_IMPORTED,
        actor,
        "Imported from CSV",
        row={k: str(v) for k, v in dict(row).items()},
    )


@transaction.atomic
def customer_disable(*, actor, customer: Customer, reason: str) -> Customer:
    """Lock the account: no orders can be placed for it until it is enabled again."""
    _require_desk(actor, "disable customers")
    reason = (reason or "").strip()
    if not reason:
        raise CustomerInvalid({"reason": ["Say why the customer is disabled."]})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.is_enabled:
        raise DomainError(f"{customer.full_name} is already disabled ({customer.disabled_reason}).")
    customer.is_enabled = False
    customer.disabled_reason = reason[:200]
    customer.save(update_fields=["is_enabled", "disabled_reason", "modified_at"])
    _event(customer, EventType.CUSTOMER_DISABLED, actor, f"Disabled: {reason}", reason=reason)
    return customer


@transaction.atomic
def customer_enable(*, actor, customer: Customer) -> Customer:
    _require_desk(actor, "enable customers")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_enabled:
        raise DomainError(f"{customer.full_name} is already enabled.")
    old_reason = customer.disabled_reason
    customer.is_enabled = True
    customer.disabled_reason = ""
    customer.save(update_fields=["is_enabled", "disabled_reason", "modified_at"])
    _event(customer, EventType.CUSTOMER_ENABLED, actor, "Enabled", old_reason=old_reason)
    return customer


@transaction.atomic
def customer_reset_password(*, actor, customer: Customer) -> None:
    """The customer forgot the password (or someone else may know it): the old one stops
    working now, and a one-time link to choose a new one is e-mailed after commit."""
    _require_desk(actor, "reset customer passwords")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.email:
        raise DomainError(
            f"{customer.full_name} has no e-mail address for the password link; "
            "add one to the profile first.",
            field="email",
        )
    customer.set_password(None)  # unusable: no password works until the customer sets one
    customer.must_change_password = True
    customer.save(update_fields=["password", "must_change_password", "modified_at"])
    _event(
        customer,
        EventType.CUSTOMER_PASSWORD_RESET,
        actor,
        f"Password reset; a link to choose a new one e-mailed to {customer.email}",
        email=customer.email,
    )
    customer_id = customer.pk
    transaction.on_commit(lambda: send_password_link.delay(customer_id))


def password_link_send(*, customer_id: int) -> bool:
    """E-mail the one-time link of a reset. Skips (returns False) when the customer is gone,
    has no e-mail, or chose a new password meanwhile. The token is made here, from the row, so
    nothing secret goes through the broker; a retry sends a link that works as well."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or not customer.email or not customer.must_change_password:
        return False
    send_mail(
        subject=f"Choose a new password for {settings.STORE_NAME}",
        message=(
            f"Hello {customer.first_name},\n\n"
            "As you asked on the phone, your password has been reset. Choose a new one here "
            "(the link works once, for a few days):\n"
            f"{password_links.link_for(customer)}\n\n"
            f"{settings.STORE_NAME}"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[customer.email],
    )
    return True


@transaction.atomic
def customer_set_password(*, customer: Customer, token: str, new_password: str) -> Customer:
    """The customer chooses a new password through the e-mailed link; the link is spent."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not password_links.tokens.check_token(customer, token):
        raise DomainError("This link was used already or has expired; ask for a new one.")
    errors = _Errors()
    _check_password(
        new_password,
        errors,
        field="new_password",
        like={
            "logon_id": customer.logon_id,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
        },
    )
    errors.raise_if_any()
    customer.set_password(new_password)
    customer.must_change_password = False
    customer.save(update_fields=["password", "must_change_password", "modified_at"])
    _event(
        customer,
        EventType.CUSTOMER_UPDATED,
        None,
        "Customer chose a new password (e-mailed link)",
        changes={"password": {"old": "(hidden)", "new": "(changed)"}},
    )
    return customer


def ensure_can_order(customer: Customer | None) -> None:
    """Orders call this before creating a cart or submitting: a disabled customer is refused.
    A guest (None) may always order."""
    if customer is None:
        return
    if not customer.is_enabled:
        raise CustomerDisabled(
            f"{customer.full_name}'s account is disabled ({customer.disabled_reason}); "
            "no order can be placed until a CSR enables it on the customer page.",
            field="customer",
        )


# --- segments --------------------------------------------------------------------------------


@transaction.atomic
def segment_add(*, actor, customer: Customer, segment: Segment) -> None:
    """ "Add user to member group"."""
    _require_desk(actor, "change member groups")
    if customer.segments.filter(pk=segment.pk).exists():
        raise DomainError(f"{customer.full_name} is already in {segment.name}.")
    customer.segments.add(segment)
    _event(
        customer, EventType.SEGMENT_ADDED, actor, f"Added to {segment.name}", segment=segment.code
    )


@transaction.atomic
def segment_remove(*, actor, customer: Customer, segment: Segment) -> None:
    _require_desk(actor, "change member groups")
    if not customer.segments.filter(pk=segment.pk).exists():
        raise DomainError(f"{customer.full_name} is not in {segment.name}.")
    customer.segments.remove(segment)
    _event(
        customer,
        EventType.SEGMENT_REMOVED,
        actor,
        f"Removed from {segment.name}",
        segment=segment.code,
    )


# --- address book ----------------------------------------------------------------------------


def _lock_addresses(customer: Customer) -> list[Address]:
    """Lock the customer row first (one writer per address book), then its addresses."""
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    return list(Address.objects.select_for_update().filter(customer=customer).order_by("pk"))


@transaction.atomic
def address_create(
    *,
    actor,
    customer: Customer,
    data: dict,
    default_billing: bool = False,
    default_shipping: bool = False,
) -> Address:
    """Add an address; the customer's first address becomes the default for both."""
    _require_desk(actor, "change address books")
    existing = _lock_addresses(customer)
    data = {"first_name": customer.first_name, "last_name": customer.last_name, **data}
    errors = _Errors()
    clean = _clean_address_fields(data, errors)
    nickname = clean.get("nickname", "")
    if nickname and any(a.nickname.casefold() == nickname.casefold() for a in existing):
        errors.add("nickname", f"{customer.full_name} already has an address called {nickname}.")
    errors.raise_if_any()
    billing = default_billing or not any(a.is_default_billing for a in existing)
    shipping = default_shipping or not any(a.is_default_shipping for a in existing)
    if billing:
        Address.objects.filter(customer=customer, is_default_billing=True).update(
            is_default_billing=False
        )
    if shipping:
        Address.objects.filter(customer=customer, is_default_shipping=True).update(
            is_default_shipping=False
        )
    address = Address(
        customer=customer, is_default_billing=billing, is_default_shipping=shipping, **clean
    )
    address.save()
    _event(
        customer,
        EventType.ADDRESS_ADDED,
        actor,
        f"Added address {address.nickname}"
        + (" (default billing)" if billing else "")
        + (" (default shipping)" if shipping else ""),
        address_id=address.pk,
        new={k: _plain(v) for k, v in clean.items()},
    )
    return address


@transaction.atomic
def address_update(*, actor, address: Address, data: dict) -> Address:
    _require_desk(actor, "change address books")
    customer = address.customer
    existing = _lock_addresses(customer)
    address = next((a for a in existing if a.pk == address.pk), None)
    if address is None:
        raise DomainError("This address was deleted meanwhile; reload the customer page.")
    errors = _Errors()
    clean = _clean_address_fields(data, errors, partial=True)
    nickname = clean.get("nickname")
    if nickname and any(
        a.nickname.casefold() == nickname.casefold() and a.pk != address.pk for a in existing
    ):
        errors.add("nickname", f"{customer.full_name} already has an address called {nickname}.")
    errors.raise_if_any()
    changes = {}
    for key, value in clean.items():
        old = getattr(address, key)
        old_plain = _plain(old)
        if old_plain != _plain(value):
            changes[key] = {"old": old_plain, "new": _plain(value)}
            setattr(address, key, value)
    if not changes:
        return address
    address.save()
    _event(
        customer,
        EventType.ADDRESS_CHANGED,
        actor,
        f"Changed address {address.nickname}: " + ", ".join(k.replace("_", " ") for k in changes),
        address_id=address.pk,
        changes=changes,
    )
    return address


@transaction.atomic
def address_delete(*, actor, address: Address) -> None:
    """Delete an address; if it was a default, the next address (oldest) takes its place."""
    _require_desk(actor, "change address books")
    customer = address.customer
    existing = _lock_addresses(customer)
    address = next((a for a in existing if a.pk == address.pk), None)
    if address is None:
        return
    others = [a for a in existing if a.pk != address.pk]
    snapshot = {k: _plain(getattr(address, k)) for k in ADDRESS_FIELDS}
    was_billing, was_shipping = address.is_default_billing, address.is_default_shipping
    address.delete()
    promoted = []
    if others and (was_billing or was_shipping):
        heir = others[0]
        if was_billing:
            heir.is_default_billing = True
            promoted.append("billing")
        if was_shipping:
            heir.is_default_shipping = True
            promoted.append("shipping")
        heir.save(update_fields=["is_default_billing", "is_default_shipping"])
    _event(
        customer,
        EventType.ADDRESS_DELETED,
        actor,
        f"Deleted address {snapshot['nickname']}"
        + (f"; {others[0].nickname} is now default {' and '.join(promoted)}" if promoted else ""),
        old=snapshot,
    )


@transaction.atomic
def address_set_default(
    *, actor, address: Address, billing: bool = False, shipping: bool = False
) -> Address:
    """Make this address the default billing and/or shipping address (exactly one each)."""
    _require_desk(actor, "change address books")
    if not (billing or shipping):
        raise DomainError("Say whether this becomes the default billing or shipping address.")
    customer = address.customer
    existing = _lock_addresses(customer)
    address = next((a for a in existing if a.pk == address.pk), None)
    if address is None:
        raise DomainError("This address was deleted meanwhile; reload the customer page.")
    changed = []
    if billing and not address.is_default_billing:
        old = next((a for a in existing if a.is_default_billing), None)
        Address.objects.filter(customer=customer, is_default_billing=True).update(
            is_default_billing=False
        )
        address.is_default_billing = True
        changed.append(("billing", old.nickname if old else None))
    if shipping and not address.is_default_shipping:
        old = next((a for a in existing if a.is_default_shipping), None)
        Address.objects.filter(customer=customer, is_default_shipping=True).update(
            is_default_shipping=False
        )
        address.is_default_shipping = True
        changed.append(("shipping", old.nickname if old else None))
    if not changed:
        return address
    address.save(update_fields=["is_default_billing", "is_default_shipping"])
    _event(
        customer,
        EventType.ADDRESS_DEFAULT_SET,
        actor,
        f"{address.nickname} is now the default " + " and ".join(kind for kind, _ in changed),
        address_id=address.pk,
        changes={kind: {"old": old, "new": address.nickname} for kind, old in changed},
    )
    return address


# --- stored payment methods ------------------------------------------------------------------

BRAND_ALIASES = {
    "visa": CardBrand.VISA,
    "mastercard": CardBrand.MASTERCARD,
    "master card": CardBrand.MASTERCARD,
    "mc": CardBrand.MASTERCARD,
    "amex": CardBrand.AMEX,
    "american express": CardBrand.AMEX,
    "discover": CardBrand.DISCOVER,
}


def _brand(value: str) -> str:
    return BRAND_ALIASES.get((value or "").strip().lower(), CardBrand.OTHER)


@transaction.atomic
def payment_method_add(  # noqa: C901 (complexity debt, listed in docs/architecture.md)
    *,
    actor,
    customer: Customer,
    gateway_token: str,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    billing_address: Address | None = None,
    is_default: bool | None = None,
) -> PaymentMethod:
    """Store a tokenized card. Takes the gateway's token, never a card number or a CVV; the
    customer's first card becomes the default."""
    _require_desk(actor, "store payment methods")
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    errors = _Errors()
    token = (gateway_token or "").strip()
    if not token:
        errors.add("gateway_token", "The gateway gave no token; add the card again.")
    elif re.fullmatch(r"[\d\s-]{12,23}", token) and 12 <= len(re.sub(r"\D", "", token)) <= 19:
        errors.add(
            "gateway_token", "This looks like a card number; only a gateway token may be stored."
        )
    last4 = str(last4 or "").strip()
    if not re.fullmatch(r"\d{4}", last4):
        errors.add("last4", "Last 4 must be exactly four digits.")
    try:
        month, year = int(exp_month), int(exp_year)
        if year < 100:
            year += 2000
    except (TypeError, ValueError):
        errors.add("exp_month", "Enter the expiry as MM and YYYY.")
        month, year = 0, 0
    else:
        today = timezone.localdate()
        if not 1 <= month <= 12:
            errors.add("exp_month", "The expiry month must be 01 to 12.")
        elif (year, month) < (today.year, today.month):
            errors.add("exp_year", f"This card expired in {month:02d}/{year}.")
        elif year > today.year + 30:
            errors.add("exp_year", "The expiry year is too far in the future.")
    if billing_address is not None and billing_address.customer_id != customer.pk:
        errors.add("billing_address", "The billing address must be one of this customer's.")
    if token and PaymentMethod.objects.filter(customer=customer, gateway_token=token).exists():
        errors.add("gateway_token", "This card is already stored for the customer.")
    errors.raise_if_any()
    has_default = PaymentMethod.objects.filter(customer=customer, is_default=True).exists()
    make_default = (not has_default) if is_default is None else is_default
    if make_default and has_default:
        PaymentMethod.objects.filter(customer=customer, is_default=True).update(is_default=False)
    method = PaymentMethod.objects.create(
        customer=customer,
        gateway_token=token,
        brand=_brand(brand),
        last4=last4,
        exp_month=month,
        exp_year=year,
        billing_address=billing_address,
        is_default=make_default,
    )
    _event(
        customer,
        EventType.PAYMENT_METHOD_ADDED,
        actor,
        f"Stored {method.label}" + (" (default)" if make_default else ""),
        payment_method_id=method.pk,
        brand=method.brand,
        last4=method.last4,
        expiry=method.expiry,
    )
    return method


def payment_method_add_card(
    *,
    actor,
    customer: Customer,
    card_number: str,
    exp_month,
    exp_year,
    cvv: str,
    billing_address: Address | None = None,
    is_default: bool | None = None,
) -> PaymentMethod:
    """Store a typed card: checked and tokenized by the payment gateway, then only the token
    and brand/last 4/expiry are kept. The number and CVV never reach the database or a log.
    Not one transaction: the gateway is called before anything is locked."""
    _require_desk(actor, "store payment methods")
    card = payments.check_card(number=card_number, exp_month=exp_month, exp_year=exp_year, cvv=cvv)
    token = payments.get_gateway().tokenize(card)
    return payment_method_add(
        actor=actor,
        customer=customer,
        gateway_token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
        billing_address=billing_address,
        is_default=is_default,
    )


@transaction.atomic
def payment_method_remove(*, actor, payment_method: PaymentMethod) -> None:
    _require_desk(actor, "remove stored payment methods")
    customer = payment_method.customer
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    label, was_default = payment_method.label, payment_method.is_default
    pk = payment_method.pk
    deleted, _ = PaymentMethod.objects.filter(pk=pk).delete()
    if not deleted:
        return
    if was_default:
        heir = PaymentMethod.objects.filter(customer=customer).order_by("pk").first()
        if heir:
            heir.is_default = True
            heir.save(update_fields=["is_default"])
    _event(
        customer,
        EventType.PAYMENT_METHOD_REMOVED,
        actor,
        f"Removed {label}",
        payment_method_id=pk,
    )


@transaction.atomic
def payment_method_set_default(*, actor, payment_method: PaymentMethod) -> PaymentMethod:
    _require_desk(actor, "change stored payment methods")
    customer = payment_method.customer
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    if payment_method.is_default:
        return payment_method
    PaymentMethod.objects.filter(customer=customer, is_default=True).update(is_default=False)
    payment_method.is_default = True
    payment_method.save(update_fields=["is_default"])
    _event(
        customer,
        EventType.PAYMENT_METHOD_DEFAULT_SET,
        actor,
        f"{payment_method.label} is now the default card",
        payment_method_id=payment_method.pk,
    )
    return payment_method


# --- notes -----------------------------------------------------------------------------------

NOTE_MAX_LENGTH = 2000


@transaction.atomic
def note_add(*, actor, customer: Customer, text: str, is_pinned: bool = False) -> CustomerNote:
    """A CSR's note on the customer; a pinned one shows on the customer's orders."""
    _require_desk(actor, "add customer notes")
    text = (text or "").strip()
    if not text:
        raise DomainError("Write the note first.", field="text")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError(
            f"Keep the note under {NOTE_MAX_LENGTH} characters ({len(text)} now).", field="text"
        )
    note = CustomerNote.objects.create(
        customer=customer, author=actor, text=text, is_pinned=is_pinned
    )
    _event(
        customer,
        EventType.CUSTOMER_NOTE_ADDED,
        actor,
        f"Note{' (pinned)' if is_pinned else ''}: {text}",
        note=note.pk,
        text=text,
        is_pinned=is_pinned,
    )
    return note


@transaction.atomic
def note_set_pinned(*, actor, note: CustomerNote, is_pinned: bool) -> CustomerNote:
    """Pin a note to the customer's orders, or take it off them."""
    _require_desk(actor, "pin customer notes")
    note = CustomerNote.objects.select_for_update().get(pk=note.pk)
    if note.is_pinned == is_pinned:
        return note
    note.is_pinned = is_pinned
    note.save(update_fields=["is_pinned"])
    _event(
        note.customer,
        EventType.CUSTOMER_NOTE_PINNED if is_pinned else EventType.CUSTOMER_NOTE_UNPINNED,
        actor,
        f"{'Pinned' if is_pinned else 'Unpinned'} note: {note.text}",
        note=note.pk,
        old=not is_pinned,
        new=is_pinned,
    )
    return note
