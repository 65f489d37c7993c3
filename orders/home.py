"""The desk's landing screen, with the one box that finds a caller (`/?q=<phone>` from a
phone system's caller ID opens it with the answer). It lives in orders, the lowest layer that
may read both customers and orders."""

from django.shortcuts import render

from core.roles import Perm
from orders.callers import find_callers


def home(request):
    """What this user can do, with the keys that do it; and who is calling, if asked."""
    query = request.GET.get("q", "").strip()
    can_search = request.user.has_perm(str(Perm.USE_DESK))
    lookup = find_callers(query) if query and can_search else None
    return render(
        request,
        "core/home.html",
        {"q": query, "lookup": lookup, "can_search": can_search},
    )
