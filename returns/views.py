"""CSR returns screens: thin views that parse one panel's form, call one service and redirect
back to the screen with a message (the desk's post-redirect-get). DomainErrors become messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import desk_view
from core.roles import Perm
from customers.models import Customer
from orders.models import Order
from orders.selectors import order_search
from returns import forms, receiving, rules, selectors, services
from returns.models import ReturnLine, ReturnRequest
from returns.workflow import EDITABLE


def _return(pk) -> ReturnRequest:
    found = selectors.return_get(pk)
    if found is None:
        raise Http404("No such return")
    return found


def _first_error(form) -> str:
    field, errors = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    return f"{label or field.replace('_', ' ').capitalize()}: {errors[0]}"


def _run(request, action, success: str):
    """Call the service; a DomainError becomes the screen's error message (and None)."""
    try:
        result = action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success)
    return result


# --- find, start -----------------------------------------------------------------------------


@desk_view(Perm.USE_DESK)
def find(request):
    form = forms.FindForm(request.GET or None)
    results = []
    if form.is_valid():
        results = list(
            selectors.return_list(query=form.cleaned_data["q"], status=form.cleaned_data["status"])[
                :50
            ]
        )
    else:
        results = list(selectors.return_list()[:50])
    return render(
        request,
        "returns/find.html",
        {
            "form": form,
            "results": results,
            "order_form": forms.FromOrderForm(),
            "guest_form": forms.GuestForm(),
        },
    )


@desk_view(Perm.USE_DESK)
@require_POST
def start_from_order(request):
    form = forms.FromOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("returns:find")
    order = order_search(number=form.cleaned_data["order_number"]).first()
    if order is None:
        messages.error(request, f"There is no order {form.cleaned_data['order_number']}.")
        return redirect("returns:find")
    return _start(request, order=order)


@desk_view(Perm.USE_DESK)
@require_POST
def start_for_customer(request, customer_id: int):
    return _start(request, customer=get_object_or_404(Customer, pk=customer_id))


@desk_view(Perm.USE_DESK)
@require_POST
def start_for_guest(request):
    form = forms.GuestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("returns:find")
    return _start(request, guest=form.cleaned_data)


def _start(request, **who):
    try:
        created = services.create_return(actor=request.user, **who)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("returns:find")
    return redirect("returns:detail", created.pk)


@desk_view(Perm.USE_DESK)
def order_returns(request, order_id: int):
    """The order screen's returns (loaded there with hx-get)."""
    order = get_object_or_404(Order, pk=order_id)
    returnable = order.status in services.RETURNABLE_ORDER_STATES
    context = {
        "returns": list(selectors.return_list(order_id=order.pk)[:20]),
        "start_url": reverse("returns:start_from_order") if returnable else "",
        "order_number": order.number,
    }
    return render(request, "returns/_returns.html", context)


@desk_view(Perm.USE_DESK)
def customer_returns(request, customer_id: int):
    """The customer page's returns (loaded there with hx-get)."""
    context = {
        "returns": list(selectors.return_list(customer_id=customer_id)[:20]),
        "start_url": reverse("returns:start_for_customer", args=[customer_id]),
        "in_card": True,
    }
    return render(request, "returns/_returns.html", context)


# --- the return screen -----------------------------------------------------------------------


@desk_view(Perm.USE_DESK)
def detail(request, pk: int):
    rr = _return(pk)
    editable = rr.status in EDITABLE
    returnable = selectors.returnable_lines(rr.order) if rr.order_id and editable else []
    return render(
        request,
        "returns/detail.html",
        {
            "rr": rr,
            "editable": editable,
            "lines": selectors.return_lines(rr),
            "refund": selectors.refund_summary(rr),
            "approval": rules.summary(rr.approval_checks),
            "events": rr.events.select_related("actor"),
            "lines_form": forms.OrderLinesForm(returnable=returnable),
            "catalog_form": forms.CatalogItemForm(prefix="catalog"),
            "adhoc_form": forms.AdhocItemForm(prefix="adhoc"),
            "method_form": forms.RefundMethodForm(
                initial={
                    "refund_method": rr.refund_method,
                    "store_credit_amount": rr.store_credit_amount,
                }
            ),
            "can_supervise": request.user.has_perm(str(Perm.SUPERVISE)),
        },
    )


@desk_view(Perm.USE_DESK)
@require_POST
def add_order_lines(request, pk: int):
    rr = _return(pk)
    if rr.order_id is None:
        raise Http404("This return has no order")
    returnable = selectors.returnable_lines(rr.order)
    form = forms.OrderLinesForm(request.POST, returnable=returnable)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("returns:detail", pk)
    _run(
        request,
        lambda: services.add_order_lines(
            actor=request.user,
            return_request=rr,
            quantities=form.quantities(),
            reason=form.cleaned_data["reason"],
            disposition=form.cleaned_data["disposition"],
        ),
        "Added to the return.",
    )
    return redirect("returns:detail", pk)


@desk_view(Perm.USE_DESK)
@require_POST
def add_catalog_item(request, pk: int):
    rr = _return(pk)
    form = forms.CatalogItemForm(request.POST, prefix="catalog")
    if form.is_valid():
        _run(
            request,
            lambda: services.add_catalog_item(
                actor=request.user, return_request=rr, **form.cleaned_data
            ),
            "Catalog item added.",
        )
    else:
        messages.error(request, _first_error(form))
    return redirect("returns:detail", pk)


@desk_view(Perm.SUPERVISE)
@require_POST
def add_adhoc_item(request, pk: int):
    rr = _return(pk)
    form = forms.AdhocItemForm(request.POST, prefix="adhoc")
    if form.is_valid():
        _run(
            request,
            lambda: services.add_adhoc_item(
                actor=request.user, return_request=rr, **form.cleaned_data
            ),
            "Ad-hoc item added.",
        )
    else:
        messages.error(request, _first_error(form))
    return redirect("returns:detail", pk)


def _line(pk: int, line_id: int) -> ReturnLine:
    return get_object_or_404(ReturnLine, pk=line_id, return_request_id=pk)


@desk_view(Perm.USE_DESK)
@require_POST
def remove_line(request, pk: int, line_id: int):
    line = _line(pk, line_id)
    _run(
        request,
        lambda: services.remove_line(actor=request.user, return_line=line),
        "Removed from the return.",
    )
    return redirect("returns:detail", pk)


@desk_view(Perm.USE_DESK)
@require_POST
def adjust_refund(request, pk: int, line_id: int):
    line = _line(pk, line_id)
    form = forms.AdjustForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.adjust_refund(
                actor=request.user, return_line=line, **form.cleaned_data
            ),
            "Refund adjusted.",
        )
    else:
        messages.error(request, _first_error(form))
    return redirect("returns:detail", pk)


@desk_view(Perm.USE_DESK)
@require_POST
def set_refund_method(request, pk: int):
    rr = _return(pk)
    form = forms.RefundMethodForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.set_refund_method(
                actor=request.user,
                return_request=rr,
                method=form.cleaned_data["refund_method"],
                store_credit_amount=form.cleaned_data["store_credit_amount"],
            ),
            "Refund method saved.",
        )
    else:
        messages.error(request, _first_error(form))
    return redirect("returns:detail", pk)


@desk_view(Perm.USE_DESK)
@require_POST
def submit(request, pk: int):
    rr = _return(pk)
    submitted = _run(
        request,
        lambda: services.submit_return(actor=request.user, return_request=rr),
        "Return submitted.",
    )
    if submitted is not None:
        messages.info(request, f"{rr.rma_number}: {rules.summary(submitted.approval_checks)}")
    return redirect("returns:detail", pk)


# --- supervisor queue ------------------------------------------------------------------------


@desk_view(Perm.SUPERVISE)
def queue(request):
    rows = [
        (rr, rules.summary(rr.approval_checks), selectors.return_lines(rr))
        for rr in selectors.supervisor_queue()[:100]
    ]
    return render(request, "returns/queue.html", {"rows": rows})


@desk_view(Perm.SUPERVISE)
@require_POST
def decide(request, pk: int):
    rr = _return(pk)
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    if request.POST.get("decision") == "approve":
        _run(
            request,
            lambda: services.approve_return(actor=request.user, return_request=rr, comment=comment),
            f"{rr.rma_number} approved; the RMA e-mail goes out.",
        )
    else:
        _run(
            request,
            lambda: services.deny_return(actor=request.user, return_request=rr, comment=comment),
            f"{rr.rma_number} denied.",
        )
    return redirect("returns:queue")


# --- receiving (operations) ------------------------------------------------------------------


@desk_view(Perm.RUN_OPERATIONS)
def receiving_screen(request):
    rows = [
        (rr, forms.ReceiveForm(lines=selectors.return_lines(rr), prefix=f"r{rr.pk}"))
        for rr in selectors.receiving_queue()[:100]
    ]
    failed = list(selectors.return_list(status="refund_failed")[:100])
    return render(request, "returns/receiving.html", {"rows": rows, "failed": failed})


@desk_view(Perm.RUN_OPERATIONS)
@require_POST
def receive(request, pk: int):
    rr = _return(pk)
    form = forms.ReceiveForm(request.POST, lines=selectors.return_lines(rr), prefix=f"r{rr.pk}")
    if form.is_valid():
        received = _run(
            request,
            lambda: receiving.receive_return(
                actor=request.user,
                return_request=rr,
                items=form.items(),
                center=form.cleaned_data["center"],
            ),
            f"{rr.rma_number} received.",
        )
        if received is not None and received.refund_error:
            messages.warning(request, f"The refund failed: {received.refund_error}")
    else:
        messages.error(request, _first_error(form))
    return redirect("returns:receiving")


@desk_view(Perm.RUN_OPERATIONS)
@require_POST
def retry_refund(request, pk: int):
    rr = _return(pk)
    done = _run(
        request,
        lambda: receiving.retry_refund(actor=request.user, return_request=rr),
        f"Refund of {rr.rma_number} retried.",
    )
    if done is not None and done.status != "refunded":
        messages.warning(
            request, f"The refund of {rr.rma_number} failed again: {done.refund_error}"
        )
    if request.POST.get("back") == "attention":
        return redirect("fulfillment:attention")
    return redirect("returns:receiving")


def refund_attention(request):
    """The payment-attention list's returns (loaded there with hx-get): failed refunds and
    refunds stuck in "refunding", with a retry for operations."""
    user = request.user
    if not (user.has_perm(str(Perm.USE_DESK)) or user.has_perm(str(Perm.RUN_OPERATIONS))):
        raise PermissionDenied
    return render(
        request,
        "returns/_refund_attention.html",
        {
            "returns": list(selectors.refunds_needing_attention()[:100]),
            "can_retry": user.has_perm(str(Perm.RUN_OPERATIONS)),
        },
    )
