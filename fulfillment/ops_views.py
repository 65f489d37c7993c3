"""Operations screens: jobs and their runs, releases, pick, ship confirmation, documents,
payment attention. Thin: every write calls a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import jobs, tasks
from core.errors import DomainError
from core.models import JobRun
from core.permissions import desk_view
from core.roles import Perm
from fulfillment import attention, documents, shipping
from fulfillment.models import FulfillmentCenter, Release, ReleaseLine, Shipment
from orders import payment_capture


@desk_view(Perm.RUN_OPERATIONS)
def ops(request):
    status = request.GET.get("status", "released")
    center = request.GET.get("center", "")
    releases = Release.objects.select_related("order", "center", "shipping_method").annotate(
        units=Sum("lines__quantity")
    )
    if status:
        releases = releases.filter(status=status)
    if center:
        releases = releases.filter(center__code=center)
    jobs.mark_interrupted_runs()
    context = {
        "jobs": [
            (job, list(JobRun.objects.filter(job=job.name).select_related("resumed_after")[:5]))
            for job in jobs.registered_jobs()
        ],
        "page": Paginator(releases.order_by("-id"), 25).get_page(request.GET.get("page")),
        "status": status,
        "center": center,
        "statuses": Release.Status.choices,
        "centers": FulfillmentCenter.objects.filter(is_active=True),
        "shipments": Shipment.objects.select_related("release", "order")[:15],
        "attention_count": attention.orders_requiring_payment_attention().count(),
    }
    return render(request, "fulfillment/ops.html", context)


@require_POST
@desk_view(Perm.RUN_OPERATIONS)
def run_now(request, name):
    job = jobs.get_job(name)
    if job is None:
        raise Http404
    try:
        result = tasks.run_job.delay(name, triggered_by=request.user.get_username())
        counts = result.get(timeout=1) if result.ready() else None
    except Exception as exc:  # the run is recorded with its error
        messages.error(request, f"{job.label} failed: {exc}")
        return redirect("fulfillment:ops")
    if counts is None:
        messages.success(request, f"{job.label} started.")
    else:
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "seconds")
        messages.success(request, f"{job.label} done: {shown}.")
    return redirect("fulfillment:ops")


def any_perm(*perms):
    """Like desk_view, for a screen that either of two roles uses (a missing one is a 403)."""

    def check(user):
        if any(user.has_perm(str(p)) for p in perms):
            return True
        raise PermissionDenied

    return user_passes_test(check)


def _release_or_404(pk):
    try:
        return documents.release_for_documents(pk)
    except Release.DoesNotExist:
        raise Http404("No such release") from None


@desk_view(Perm.RUN_OPERATIONS)
def release_detail(request, pk):
    release = _release_or_404(pk)
    return render(
        request,
        "fulfillment/release.html",
        {"release": release, "carriers": shipping.CARRIERS, "lines": list(release.lines.all())},
    )


@require_POST
@desk_view(Perm.RUN_OPERATIONS)
def ship(request, pk):
    release = _release_or_404(pk)
    lines = []
    for rl in release.lines.all():
        raw = request.POST.get(f"qty_{rl.pk}", "").strip()
        if raw:
            lines.append({"release_line": rl.pk, "quantity": raw})
    try:
        shipment = shipping.confirm_shipment(
            actor=request.user,
            release_id=release.pk,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
            lines=lines,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("fulfillment:release", pk=release.pk)
    if shipment.capture_status == Shipment.Capture.CAPTURED:
        messages.success(
            request,
            f"Shipment {shipment.tracking_number} added to order "
            f"{release.order.number}'s ship history; {shipment.amount} captured.",
        )
    else:
        messages.warning(
            request,
            f"Shipment {shipment.tracking_number} recorded, but the capture failed "
            f"({shipment.capture_error}); the order is in the payment attention list.",
        )
    return redirect("fulfillment:release", pk=release.pk)


def _document(request, pk, template, xml_func, filename):
    release = _release_or_404(pk)
    if request.GET.get("format") == "xml":
        response = HttpResponse(xml_func(release), content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}-{release.number}.xml"'
        return response
    lines = list(release.lines.all())
    for rl in lines:
        rl.to_follow = max(0, rl.line.quantity - rl.quantity)
    return render(request, template, {"release": release, "lines": lines})


@desk_view(Perm.RUN_OPERATIONS)
def pick_ticket(request, pk):
    return _document(
        request, pk, "fulfillment/print/pick_ticket.html", documents.pick_ticket_xml, "pick"
    )


@desk_view(Perm.RUN_OPERATIONS)
def pack_slip(request, pk):
    return _document(
        request, pk, "fulfillment/print/pack_slip.html", documents.pack_slip_xml, "pack"
    )


@desk_view(Perm.RUN_OPERATIONS)
def manifest(request):
    center = request.GET.get("center", "")
    status = request.GET.get("status", "released")
    releases = documents.manifest_releases(center=center, status=status)
    if request.GET.get("format") == "xml":
        body = documents.manifest_xml(releases, center=center, status=status)
        return HttpResponse(body, content_type="application/xml; charset=utf-8")
    return render(
        request,
        "fulfillment/print/manifest.html",
        {"releases": releases, "center": center, "status": status},
    )


@desk_view(Perm.RUN_OPERATIONS)
def pick_list(request):
    """A pick batch: what to take off the shelves at one center for its open releases."""
    center = request.GET.get("center") or (
        FulfillmentCenter.objects.filter(is_active=True).values_list("code", flat=True).first()
    )
    rows = (
        ReleaseLine.objects.filter(
            release__center__code=center, release__status__in=["released", "partial"]
        )
        .values("sku__code", "sku__name")
        .annotate(
            to_pick=Sum(F("quantity") - F("shipped_quantity")),
            releases=Count("release", distinct=True),
            newest=Max("release_id"),
        )
        .order_by("sku__code")
    )
    return render(
        request,
        "fulfillment/print/pick_list.html",
        {"rows": rows, "center": center, "centers": FulfillmentCenter.objects.all()},
    )


def _can_attend(user) -> bool:
    return user.has_perm(Perm.RUN_OPERATIONS) or user.has_perm(Perm.SUPERVISE)


@any_perm(Perm.USE_DESK, Perm.RUN_OPERATIONS)
def attention_list(request):
    orders = list(attention.orders_requiring_payment_attention()[:100])
    failed = {}
    for s in Shipment.objects.filter(order__in=orders, capture_status="failed"):
        failed.setdefault(s.order_id, []).append(s)
    rows = [(o, failed.get(o.pk, [])) for o in orders]
    return render(
        request,
        "fulfillment/attention.html",
        {
            "rows": rows,
            "can_retry": _can_attend(request.user),
            "can_supervise": request.user.has_perm(Perm.SUPERVISE),
        },
    )


@require_POST
@any_perm(Perm.USE_DESK, Perm.RUN_OPERATIONS)
def attention_action(request, order_id):
    action = request.POST.get("action")
    try:
        if action == "retry":
            shipment = attention.retry_capture(
                actor=request.user, shipment_id=int(request.POST.get("shipment", 0))
            )
            if shipment.capture_status == "captured":
                messages.success(request, f"Captured {shipment.amount} for {shipment}.")
            else:
                messages.error(request, f"The capture failed again: {shipment.capture_error}")
        elif action in ("authorized", "review"):
            order = payment_capture.set_payment_status(
                actor=request.user,
                order_id=order_id,
                authorized=action == "authorized",
                reason=request.POST.get("reason", "").strip(),
            )
            messages.success(request, f"Order {order} is now {order.get_status_display().lower()}.")
        elif action == "new_payment":
            payment = attention.take_new_payment(
                actor=request.user,
                order_id=order_id,
                card_number=request.POST.get("card_number", ""),
                exp_month=request.POST.get("exp_month", ""),
                exp_year=request.POST.get("exp_year", ""),
                cvv=request.POST.get("cvv", ""),
            )
            messages.success(
                request, f"{payment.label} authorized for {payment.amount}; retry the capture."
            )
        else:
            raise DomainError("Unknown action.")
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    except PermissionError as exc:  # pragma: no cover - NotAllowed is a DomainError
        messages.error(request, str(exc))
    return redirect(reverse("fulfillment:attention"))


@any_perm(Perm.USE_DESK, Perm.RUN_OPERATIONS)
def order_shipments(request, order_id):
    """The order screen's ship history (an htmx partial loaded by orders' order detail)."""
    return render(
        request,
        "fulfillment/_order_shipments.html",
        {
            "shipments": Shipment.objects.filter(order_id=order_id).select_related("release"),
            "releases": Release.objects.filter(order_id=order_id),
        },
    )
