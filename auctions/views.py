"""CSR auctions screens: thin views that parse one panel's form, call one service and redirect
back with a message (the desk's post-redirect-get). DomainErrors become messages."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from auctions import anomalies, closing, forms, selectors, services
from auctions.models import Bid
from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from customers.models import Customer


def _run(request, action, success: str):
    """Call the service; a DomainError becomes the screen's error message (and None)."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


def _auction(pk):
    found = selectors.auction_get(pk)
    if found is None:
        raise Http404("No such auction")
    return found


def _find_customer(text: str) -> Customer | None:
    text = (text or "").strip()
    if not text:
        return None
    match = Q(logon_id__iexact=text) | Q(email__iexact=text)
    if text.isdigit():
        match |= Q(pk=int(text))
    return Customer.objects.filter(match).order_by("pk").first()


@desk_view(Perm.USE_DESK)
def auction_list(request):
    auctions = list(selectors.auction_list()[: selectors.LIST_LIMIT])
    rows = [(a, selectors.time_left_label(a)) for a in auctions]
    return render(
        request,
        "auctions/list.html",
        {"rows": rows, "failed_count": selectors.failed_bids().count()},
    )


def _bidder_context(auction, customer):
    if customer is None:
        return {}
    mine = Bid.objects.filter(auction=auction, customer=customer).order_by("-placed_at").first()
    if mine is None:
        standing = "no bid yet"
    elif auction.leading_bid_id == mine.pk:
        standing = "leading"
    else:
        standing = mine.get_status_display().lower()
        if mine.status == "active" and auction.auction_type == "open_cry":
            standing = "outbid"
    return {
        "customer": customer,
        "addresses": list(customer.addresses.all()),
        "cards": [c for c in customer.payment_methods.all() if not c.is_expired()],
        "my_bid": mine,
        "standing": standing,
    }


@desk_view(Perm.USE_DESK)
def detail(request, pk: int):
    auction = _auction(pk)
    customer_form = forms.CustomerForm(request.GET or None)
    customer = None
    if customer_form.is_valid():
        customer = _find_customer(customer_form.cleaned_data["customer"])
        if customer is None and customer_form.cleaned_data["customer"]:
            messages.error(request, "No customer matches; type the logon ID, e-mail or number.")
    hidden = selectors.bids_hidden(auction, request.user)
    context = {
        "auction": auction,
        "time_left": selectors.time_left_label(auction),
        "minimum_next_bid": services.minimum_next_bid(auction),
        "bids": [] if hidden else list(selectors.auction_bids(auction)[:200]),
        "hidden": hidden,
        "customer_form": customer_form,
        **_bidder_context(auction, customer),
    }
    return render(request, "auctions/detail.html", context)


@desk_view(Perm.USE_DESK)
@require_POST
def place_bid(request, pk: int):
    form = forms.BidForm(request.POST)
    back = reverse("auctions:detail", args=[pk])
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        messages.error(request, f"{field.replace('_', ' ').capitalize()}: {errors[0]}")
        return redirect(f"{back}?customer={request.POST.get('customer', '')}")
    v = form.cleaned_data
    autobid = v["max_price"] is not None
    placed = _run(
        request,
        lambda: services.place_bid(
            actor=request.user,
            auction_id=pk,
            customer_id=v["customer"],
            price=None if autobid else v["price"],
            max_price=v["max_price"],
            quantity=v["quantity"],
            accept_partial=v["accept_partial"],
            ship_to_id=v["ship_to"],
            payment_method_id=v["payment_method"],
        ),
        "Autobid placed." if autobid else "Bid placed.",
    )
    if placed is not None and placed.auction.leading_bid_id not in (None, placed.pk):
        messages.warning(
            request, f"Outbid at once: the auction stands at {placed.auction.current_price}."
        )
    return redirect(f"{back}?customer={v['customer']}")


@desk_view(Perm.SUPERVISE)
@require_POST
def withdraw(request, bid_id: int):
    form = forms.ReasonForm(request.POST)
    bid = Bid.objects.filter(pk=bid_id).first()
    if bid is None:
        raise Http404("No such bid")
    if not form.is_valid():
        messages.error(request, "Say why the bid is withdrawn.")
    else:
        _run(
            request,
            lambda: services.withdraw_bid(
                actor=request.user, bid_id=bid_id, reason=form.cleaned_data["reason"]
            ),
            "Bid withdrawn.",
        )
    return redirect("auctions:detail", pk=bid.auction_id)


@desk_view(Perm.SUPERVISE)
@require_POST
def force_close(request, pk: int):
    result = _run(
        request,
        lambda: closing.force_close(actor=request.user, auction_id=pk),
        "Auction closed.",
    )
    if result:
        messages.info(
            request,
            f"{result['winners']} winning bids: {result['orders']} orders placed, "
            f"{result['failed']} on the failed list.",
        )
    return redirect("auctions:detail", pk=pk)


@desk_view(Perm.USE_DESK)
def failed(request):
    bids = list(selectors.failed_bids()[: selectors.LIST_LIMIT])
    cards = {}
    for bid in bids:
        cards[bid.pk] = [c for c in bid.customer.payment_methods.all() if not c.is_expired()]
    return render(request, "auctions/failed.html", {"rows": [(b, cards[b.pk]) for b in bids]})


@desk_view(Perm.USE_DESK)
@require_POST
def retry(request, bid_id: int):
    form = forms.RetryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a card.")
        return redirect("auctions:failed")
    placed = _run(
        request,
        lambda: closing.retry_failed_bid(
            actor=request.user,
            bid_id=bid_id,
            payment_method_id=form.cleaned_data["payment_method"],
        ),
        "Submitted again.",
    )
    if placed is False:
        messages.error(request, "The card was refused again; the bid stays on the list.")
    return redirect("auctions:failed")


@desk_view(Perm.USE_DESK)
def customer_bids(request, customer_id: int):
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404("No such customer")
    bids = list(selectors.customer_bids(customer_id)[:100])
    # the customer page loads the table alone (hx-get); the address shows the whole screen
    template = (
        "auctions/_bids.html"
        if request.headers.get("HX-Request")
        else "auctions/customer_bids.html"
    )
    return render(request, template, {"customer": customer, "bids": bids})


@desk_view(Perm.SUPERVISE)
def anomaly_queue(request):
    flags = list(selectors.open_flags()[: selectors.LIST_LIMIT])
    return render(request, "auctions/anomalies.html", {"flags": flags})


@desk_view(Perm.SUPERVISE)
@require_POST
def clear_flag(request, flag_id: int):
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what you found.")
    else:
        _run(
            request,
            lambda: anomalies.clear_flag(
                actor=request.user, flag_id=flag_id, note=form.cleaned_data["note"]
            ),
            "Flag cleared.",
        )
    return redirect("auctions:anomalies")
