"""Returns' audit codes are core's EventType (block 600); the audit screen shows them."""

from django.urls import reverse

from config.audit import AuditFilter, audit_events
from core.events import EventType
from returns import services
from returns.models import ReturnEvent


def test_returns_codes_live_in_cores_block_600():
    codes = [t for t in EventType if t.name.startswith("RETURN_")]
    assert codes and all(600 <= t.value < 700 for t in codes)
    assert EventType.RETURN_CREATED == 600  # stored in rows: never renumbered


def test_the_audit_screen_shows_return_events(client, csr, supervisor, shipped):
    rr = services.create_return(actor=csr, order=shipped)
    event = ReturnEvent.objects.get(return_request=rr)
    assert event.event_label == "Return created"
    rows = audit_events(AuditFilter(object_type="return", object_id=rr.rma_number))
    assert [(r.app, r.event, r.object_label) for r in rows] == [
        ("returns", "Return created", rr.rma_number)
    ]
    assert rows[0].url == reverse("returns:detail", args=[rr.pk])
    assert audit_events(AuditFilter(object_type="return", object_id=str(rr.pk))) == rows
    by_type = audit_events(AuditFilter(event_type="RETURN_CREATED"))
    assert [r.app for r in by_type] == ["returns"]
    assert audit_events(AuditFilter(object_type="order", event_type="RETURN_CREATED")) == []
    client.force_login(supervisor)
    page = client.get(reverse("audit"), {"object_type": "return"}).content.decode()
    assert rr.rma_number in page and 'value="RETURN_CREATED"' in page
