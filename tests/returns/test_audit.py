"""Returns' history is part of the desk's audit trail: the supervisors' audit screen finds it
by type and by return, with a link to the return."""

from django.urls import reverse

from config.audit import AuditFilter, audit_events
from returns import services


def test_the_audit_screen_lists_a_returns_events_with_a_link(csr, shipped):
    rr = services.create_return(actor=csr, order=shipped)
    created = audit_events(AuditFilter(event_type="RETURN_CREATED"))
    assert [(r.app, r.event) for r in created] == [("returns", "Return created")]
    assert created[0].url == reverse("returns:detail", args=[rr.pk])
    by_return = audit_events(AuditFilter(object_type="return", object_id=str(rr.pk)))
    assert by_return and {r.app for r in by_return} == {"returns"}
