"""CSR screens: Find customer, Create customer, the Customer page. Views parse, call one
service or selector, and render; every write redirects back (post/redirect/get)."""

import re
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.payments import CardInvalid
from core.permissions import desk_view
from core.roles import Perm
from customers import credit, password_links, selectors, services
from customers.forms import (
    AddressForm,
    CardForm,
    CustomerCreateForm,
    DisableForm,
    ProfileForm,
    SetPasswordForm,
    country_choices,
)
from customers.models import Address, CustomerNote, PaymentMethod, Segment

ADVANCED = (
    "logon_id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "postal_code",
    "account_number",
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
PHONE_RE = re.compile(r"^[\d\s().+\-]{7,}$")


def _search_params(request) -> tuple[str, dict]:
    query = request.GET.get("q", "").strip()
    advanced = {k: request.GET.get(k, "").strip() for k in ADVANCED}
    advanced = {k: v for k, v in advanced.items() if v}
    if request.GET.get("segment"):
        advanced["segment"] = request.GET["segment"]
    status = request.GET.get("status", "")
    if status in {"enabled", "disabled"}:
        advanced["is_enabled"] = status == "enabled"
    return query, advanced


def _page_number(request) -> int:
    try:
        return max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        return 1


@desk_view(Perm.USE_DESK)
def find(request):
    """Find customer: one quick box plus advanced fields; live results as the CSR types."""
    query, advanced = _search_params(request)
    searched = bool(query or advanced)
    page = (
        selectors.search_page(query=query, page=_page_number(request), **advanced)
        if searched
        else None
    )
    if (
        page
        and request.GET.get("go")
        and len(page["rows"]) == 1
        and page["page"] == 1
        and not request.htmx
    ):
        return redirect("customers:detail", page["rows"][0].pk)
    context = {
        "query": query,
        "advanced": advanced,
        "searched": searched,
        "page": page,
        "segments": Segment.objects.all(),
        "status": request.GET.get("status", ""),
        "create_url": _create_url(query, advanced),
        "show_advanced": bool(advanced),
    }
    if request.htmx and request.htmx.target == "results":
        response = render(request, "customers/_results.html", context)
        # Keep the address bar in step with the search (without "go", which only Enter sets).
        params = request.GET.copy()
        params.pop("go", None)
        params = {k: v for k, v in params.items() if v}
        response["HX-Replace-Url"] = request.path + ("?" + urlencode(params) if params else "")
        return response
    return render(request, "customers/find.html", context)


def _create_url(query: str, advanced: dict) -> str:
    params = {"q": query} if query else {}
    params.update({k: v for k, v in advanced.items() if isinstance(v, str)})
    return reverse("customers:create") + ("?" + urlencode(params) if params else "")


def initial_from_search(params) -> dict:
    """Carry what the CSR typed in Find customer into the new record."""
    initial = {}
    for key in ("first_name", "last_name", "email", "phone", "logon_id"):
        if params.get(key):
            initial[key] = params[key]
    if params.get("postal_code"):
        initial["address_postal_code"] = params["postal_code"]
    query = (params.get("q") or "").strip()
    if query:
        if EMAIL_RE.match(query):
            initial.setdefault("email", query)
            initial.setdefault("logon_id", query)
        elif PHONE_RE.match(query):
            initial.setdefault("phone", query)
        else:
            words = query.replace(",", " ").split()
            if "," in query and len(words) >= 2:
                initial.setdefault("last_name", words[0].title())
                initial.setdefault("first_name", " ".join(words[1:]).title())
            elif len(words) >= 2:
                initial.setdefault("first_name", words[0].title())
                initial.setdefault("last_name", " ".join(words[1:]).title())
            else:
                initial.setdefault("last_name", query.title())
    return initial


@desk_view(Perm.USE_DESK)
def create(request):
    """Create customer record: field-level errors, nothing saved until everything is valid."""
    if request.method == "POST":
        form = CustomerCreateForm(request.POST)
        if form.is_valid():
            try:
                customer = services.customer_create(actor=request.user, **form.service_kwargs())
            except services.CustomerInvalid as exc:
                form.add_service_errors(exc)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Created {customer.full_name} ({customer.logon_id}).")
                return redirect("customers:detail", customer.pk)
        status = 400
    else:
        form = CustomerCreateForm(initial=initial_from_search(request.GET))
        status = 200
    return render(
        request,
        "customers/create.html",
        {"form": form, "countries": country_choices()},
        status=status,
    )


def _linked_urls(customer) -> dict:
    """Screens of the apps above customers (orders, pricing, returns) by URL name: customers cannot
    import them."""
    urls = {}
    for key, name in (
        ("new_order_url", "orders:cart_new_for_customer"),
        ("orders_url", "orders:customer_orders"),
        ("wallet_url", "pricing:customer_wallet"),
        ("returns_url", "returns:customer_returns"),
        ("auction_bids_url", "auctions:customer_bids"),
    ):
        try:
            urls[key] = reverse(name, args=[customer.pk])
        except NoReverseMatch:
            urls[key] = ""
    return urls


def _detail(request, customer, *, status=200, **overrides):
    addresses = list(customer.addresses.all())
    context = {
        "customer": customer,
        "addresses": addresses,
        "payment_methods": list(customer.payment_methods.all()),
        "segments_in": list(customer.segments.all()),
        "history": selectors.customer_history(customer),
        "notes": list(selectors.customer_notes(customer.pk)),
        "all_segments": Segment.objects.all(),
        "countries": country_choices(),
        "profile_form": ProfileForm.for_customer(customer),
        "address_form": AddressForm(
            prefix="address",
            initial={
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "country": settings.STORE_COUNTRY,
            },
        ),
        "disable_form": DisableForm(prefix="disable"),
        "card_form": CardForm(prefix="card"),
        "edit_address": None,
        "open_dialog": "",
        "phone_display": services.format_phone(customer.phone),
        "store_credit_balance": credit.store_credit_balance(customer.pk),
        "store_credit_entries": list(customer.store_credit.all()[:5]),
        **_linked_urls(customer),
    }
    context.update(overrides)
    return render(request, "customers/detail.html", context, status=status)


def _get_customer(pk):
    customer = selectors.customer_detail(pk)
    if customer is None:
        raise Http404("No such customer")
    return customer


@desk_view(Perm.USE_DESK)
def detail(request, pk):
    customer = _get_customer(pk)
    edit_address = None
    if request.GET.get("edit_address"):
        edit_address = next(
            (a for a in customer.addresses.all() if str(a.pk) == request.GET["edit_address"]),
            None,
        )
    if edit_address:
        form = AddressForm(
            prefix="edit",
            initial={
                **{f: getattr(edit_address, f) for f in services.ADDRESS_FIELDS},
                "country": edit_address.country.code,
            },
        )
        return _detail(
            request, customer, edit_address=edit_address, edit_form=form, open_dialog="edit-address"
        )
    return _detail(request, customer)


def _customer_action(view):
    """A Customer page action: POST only, for desk users; a business refusal becomes a message
    on the page, not a 500."""

    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        try:
            return view(request, pk, *args, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("customers:detail", pk)

    return require_POST(desk_view(Perm.USE_DESK)(wrapper))


def _customer_and_own(pk, model, row_id):
    """The customer and one of its rows (an address, a card); 404 if the row is not its own."""
    customer = _get_customer(pk)
    return customer, get_object_or_404(model, pk=row_id, customer=customer)


def _done(request, customer, message):
    messages.success(request, message)
    return redirect("customers:detail", customer.pk)


@_customer_action
def profile(request, pk):
    customer = _get_customer(pk)
    form = ProfileForm(request.POST, prefix="profile")
    if form.is_valid():
        try:
            services.customer_update(
                actor=request.user, customer=customer, data=form.changed_values()
            )
        except services.CustomerInvalid as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, customer, "Profile saved.")
    return _detail(request, customer, profile_form=form, open_dialog="profile", status=400)


@_customer_action
def address_add(request, pk):
    customer = _get_customer(pk)
    form = AddressForm(request.POST, prefix="address")
    if form.is_valid():
        try:
            address = services.address_create(
                actor=request.user,
                customer=customer,
                data=form.address_data(),
                default_billing=form.cleaned_data["default_billing"],
                default_shipping=form.cleaned_data["default_shipping"],
            )
        except services.CustomerInvalid as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, customer, f"Added address {address.nickname}.")
    return _detail(request, customer, address_form=form, open_dialog="add-address", status=400)


@_customer_action
def address_edit(request, pk, address_id):
    customer, address = _customer_and_own(pk, Address, address_id)
    form = AddressForm(request.POST, prefix="edit")
    if form.is_valid():
        try:
            with transaction.atomic():
                services.address_update(
                    actor=request.user, address=address, data=form.address_data()
                )
                if form.cleaned_data["default_billing"] or form.cleaned_data["default_shipping"]:
                    services.address_set_default(
                        actor=request.user,
                        address=address,
                        billing=form.cleaned_data["default_billing"],
                        shipping=form.cleaned_data["default_shipping"],
                    )
        except services.CustomerInvalid as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, customer, f"Saved address {address.nickname}.")
    return _detail(
        request,
        customer,
        edit_address=address,
        edit_form=form,
        open_dialog="edit-address",
        status=400,
    )


@_customer_action
def address_delete(request, pk, address_id):
    customer, address = _customer_and_own(pk, Address, address_id)
    services.address_delete(actor=request.user, address=address)
    return _done(request, customer, f"Deleted address {address.nickname}.")


@_customer_action
def address_default(request, pk, address_id):
    customer, address = _customer_and_own(pk, Address, address_id)
    kind = request.POST.get("kind")
    services.address_set_default(
        actor=request.user,
        address=address,
        billing=kind in {"billing", "both"},
        shipping=kind in {"shipping", "both"},
    )
    return _done(request, customer, f"{address.nickname} is now the default {kind} address.")


@_customer_action
def segment_change(request, pk):
    customer = _get_customer(pk)
    segment = get_object_or_404(Segment, pk=request.POST.get("segment"))
    try:
        if request.POST.get("action") == "remove":
            services.segment_remove(actor=request.user, customer=customer, segment=segment)
            message = f"Removed from {segment.name}."
        else:
            services.segment_add(actor=request.user, customer=customer, segment=segment)
            message = f"Added to {segment.name}."
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("customers:detail", customer.pk)
    return _done(request, customer, message)


@_customer_action
def card_add(request, pk):
    customer = _get_customer(pk)
    form = CardForm(request.POST, prefix="card")
    form.fields["billing_address"].widget.choices = [
        (a.pk, a.nickname) for a in customer.addresses.all()
    ]
    if form.is_valid():
        data = form.cleaned_data
        billing = None
        if data.get("billing_address"):
            billing = get_object_or_404(Address, pk=data["billing_address"], customer=customer)
        try:
            method = services.payment_method_add_card(
                actor=request.user,
                customer=customer,
                card_number=data["card_number"],
                exp_month=data["exp_month"],
                exp_year=data["exp_year"],
                cvv=data["cvv"],
                billing_address=billing,
                is_default=True if data.get("make_default") else None,
            )
        except services.CustomerInvalid as exc:
            form.add_service_errors(exc)
        except CardInvalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _done(request, customer, f"Stored {method.label}.")
    # Never send the typed number or CVV back to the browser.
    form.data = form.data.copy()
    for key in ("card-card_number", "card-cvv"):
        form.data[key] = ""
    return _detail(request, customer, card_form=form, open_dialog="add-card", status=400)


@_customer_action
def card_remove(request, pk, method_id):
    customer, method = _customer_and_own(pk, PaymentMethod, method_id)
    services.payment_method_remove(actor=request.user, payment_method=method)
    return _done(request, customer, f"Removed {method.label}.")


@_customer_action
def card_default(request, pk, method_id):
    customer, method = _customer_and_own(pk, PaymentMethod, method_id)
    services.payment_method_set_default(actor=request.user, payment_method=method)
    return _done(request, customer, f"{method.label} is now the default card.")


@_customer_action
def toggle_enabled(request, pk):
    customer = _get_customer(pk)
    if customer.is_enabled:
        form = DisableForm(request.POST, prefix="disable")
        form.is_valid()
        try:
            services.customer_disable(
                actor=request.user, customer=customer, reason=form.cleaned_data.get("reason", "")
            )
        except services.CustomerInvalid as exc:
            form.add_error("reason", exc.errors.get("reason", [exc.message])[0])
            return _detail(request, customer, disable_form=form, open_dialog="disable", status=400)
        return _done(request, customer, f"Disabled {customer.full_name}.")
    services.customer_enable(actor=request.user, customer=customer)
    return _done(request, customer, f"Enabled {customer.full_name}.")


@_customer_action
def reset_password(request, pk):
    customer = _get_customer(pk)
    try:
        services.customer_reset_password(actor=request.user, customer=customer)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("customers:detail", customer.pk)
    return _done(
        request,
        customer,
        f"A link to choose a new password is on its way to {customer.email}; "
        "the old password no longer works.",
    )


@login_not_required
def set_password(request, uidb64, token):
    """The page of the e-mailed link, for the customer (no desk login): a new password."""
    customer = password_links.customer_of_link(uidb64=uidb64, token=token)
    if customer is None:
        return render(request, "customers/set_password.html", {"invalid": True}, status=404)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_set_password(
                customer=customer, token=token, new_password=form.cleaned_data["new_password"]
            )
        except services.CustomerInvalid as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "customers/set_password.html", {"done": True})
    return render(request, "customers/set_password.html", {"form": form, "customer": customer})


@_customer_action
def note_add(request, pk):
    customer = _get_customer(pk)
    services.note_add(
        actor=request.user,
        customer=customer,
        text=request.POST.get("text", ""),
        is_pinned=request.POST.get("is_pinned") == "1",
    )
    return _done(request, customer, "Note added.")


@_customer_action
def note_pin(request, pk, note_id):
    customer, note = _customer_and_own(pk, CustomerNote, note_id)
    pinned = request.POST.get("is_pinned") == "1"
    services.note_set_pinned(actor=request.user, note=note, is_pinned=pinned)
    return _done(request, customer, "Note pinned." if pinned else "Note unpinned.")
