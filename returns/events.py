"""The return's history: the one place that writes `ReturnEvent` rows."""

from core.events import EventType
from returns.models import ReturnEvent


def record(return_id: int, event_type: EventType, actor, **data) -> ReturnEvent:
    return ReturnEvent.objects.create(
        return_request_id=return_id, event_type=int(event_type), actor=actor, data=data
    )
