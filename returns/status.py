"""The one writer of a return's status: checks the transition table (returns/workflow.py),
writes the row and records the event."""

from django.utils import timezone

from core.events import EventType as E
from returns import events
from returns.models import ReturnRequest
from returns.workflow import check_transition


def set_status(return_request: ReturnRequest, target: str, actor, **data) -> None:
    check_transition(return_request.status, target)
    old = return_request.status
    return_request.status = target
    ReturnRequest.objects.filter(pk=return_request.pk).update(
        status=target, modified_at=timezone.now()
    )
    events.record(return_request.pk, E.RETURN_STATUS_CHANGED, actor, old=old, new=target, **data)
