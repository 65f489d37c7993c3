"""Automatic approval: the store's rules (ReturnPolicy, in the admin), each with its result.

A return is approved automatically only when every rule passes; the results are stored on the
return and shown, so the CSR can tell the caller why it waits for a supervisor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.utils import timezone

from returns import selectors
from returns.models import ReturnLine, ReturnPolicy, ReturnRequest


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _from_order(lines: list[ReturnLine]) -> Check:
    others = [x.label for x in lines if x.kind != ReturnLine.Kind.ORDER_LINE]
    if others:
        return Check("from the order", False, "not from the order: " + ", ".join(others))
    return Check("from the order", True, "every item is from the order")


def _within_days(lines: list[ReturnLine], days: int, now) -> Check:
    rule = f"within {days} days"
    ids = [x.order_line_id for x in lines if x.order_line_id]
    shipped_at = selectors.last_shipped_at(ids)
    late = [
        x.label
        for x in lines
        if x.order_line_id
        and shipped_at.get(x.order_line_id) is not None
        and shipped_at[x.order_line_id] < now - timedelta(days=days)
    ]
    never = [x.label for x in lines if x.order_line_id and x.order_line_id not in shipped_at]
    if late or never:
        what = [f"{label} shipped over {days} days ago" for label in late]
        what += [f"{label} never shipped" for label in never]
        return Check(rule, False, "; ".join(what))
    return Check(rule, True, f"shipped within the last {days} days")


def _creditable(lines: list[ReturnLine], policy: ReturnPolicy) -> Check:
    excluded = set(policy.non_creditable_skus.values_list("pk", flat=True)) if policy.pk else set()
    found = [x.label for x in lines if x.sku_id in excluded]
    if found:
        return Check("creditable", False, "not creditable: " + ", ".join(found))
    return Check("creditable", True, "every item is creditable")


def _quantities(lines: list[ReturnLine]) -> Check:
    ids = [x.order_line_id for x in lines if x.order_line_id]
    shipped = selectors.shipped_quantities(ids)
    returned = selectors.returned_quantities(ids)  # includes this return's own lines
    over = [
        x.label
        for x in lines
        if x.order_line_id and returned[x.order_line_id] > shipped.get(x.order_line_id, 0)
    ]
    if over:
        return Check("quantity", False, "more than shipped: " + ", ".join(over))
    return Check("quantity", True, "quantities within what shipped less what came back")


def _amounts(lines: list[ReturnLine]) -> Check:
    over = [x.label for x in lines if x.refund_amount > x.paid_amount]
    if over:
        return Check("amount", False, "refund over what was paid: " + ", ".join(over))
    flagged = [x.label for x in lines if x.adjustment_over_limit]
    if flagged:
        return Check("amount", False, "adjusted over the CSR's limit: " + ", ".join(flagged))
    return Check("amount", True, "refund within what was paid")


def approval_checks(return_request: ReturnRequest, *, now=None) -> list[Check]:
    policy = ReturnPolicy.current()
    lines = selectors.return_lines(return_request)
    if not policy.auto_approve:
        return [Check("automatic approval", False, "the store approves every return by hand")]
    return [
        _from_order(lines),
        _within_days(lines, policy.auto_approve_within_days, now or timezone.now()),
        _creditable(lines, policy),
        _quantities(lines),
        _amounts(lines),
    ]


def summary(checks: list[dict]) -> str:
    """ "approved: within 30 days, creditable, ..." or the rules that failed, for the screens."""
    failed = [c for c in checks if not c["passed"]]
    if not checks:
        return ""
    if failed:
        return "needs a supervisor: " + "; ".join(c["detail"] for c in failed)
    return "approved: " + ", ".join(c["rule"] for c in checks)
