"""Pick tickets, pack slips and release manifests: the data, and their XML for a warehouse system.

XML schema (UTF-8, no namespace; every element below is always present, attributes may be "").

    <pickTicket release="1001-R1" order="1001" center="TOR" shippingMethod="ground"
                carrier="Canada Post" created="2026-11-25T13:50:00+00:00">
      <shipTo name="Gail Guest" line1="..." line2="..." city="..." region="ON"
              postalCode="M5H 1A1" country="CA" phone="..."/>
      <line id="17" orderLine="52" sku="NB-BLK-A5" quantity="2" shipped="0">Notebook</line>
      ...
    </pickTicket>

    <packSlip ...same attributes as pickTicket...>
      <shipTo .../>
      <line id="17" orderLine="52" sku="..." quantity="2" shipped="0" ordered="3"
            backordered="1">Notebook</line>
      <shipment carrier="UPS" tracking="1Z..." shipped="2026-11-25T14:00:00+00:00"/>  (0..n)
    </packSlip>

    <manifest center="TOR" generated="..." status="released">
      <release number="1001-R1" order="1001" shippingMethod="ground" lines="2" units="3"
               status="released">
        <shipTo .../>
      </release>
      ...
    </manifest>

`id` of a line is the release line id; a warehouse confirms shipments against it
(POST /api/v1/releases/{id}/shipments/ with {"carrier", "tracking_number",
"lines": [{"release_line": id, "quantity": n}]}).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from django.db.models import Count, Sum
from django.utils import timezone

from fulfillment.models import Release


def release_for_documents(pk) -> Release:
    return (
        Release.objects.select_related("order", "center", "shipping_method", "ship_to")
        .prefetch_related("lines__sku", "lines__line", "shipments")
        .get(pk=pk)
    )


def manifest_releases(*, center=None, status="released"):
    qs = Release.objects.select_related("order", "center", "shipping_method", "ship_to")
    if center:
        qs = qs.filter(center__code=center)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(line_count=Count("lines"), units=Sum("lines__quantity")).order_by("id")


def _head(el, release: Release) -> None:
    method = release.shipping_method
    el.set("release", release.number)
    el.set("order", release.order.number or str(release.order_id))
    el.set("center", release.center.code if release.center else "")
    el.set("shippingMethod", method.code if method else "")
    el.set("carrier", getattr(method, "carrier", "") or "" if method else "")
    el.set("created", release.created_at.isoformat())


def _ship_to(parent, address) -> None:
    el = ET.SubElement(parent, "shipTo")
    fields = {
        "name": f"{address.first_name} {address.last_name}" if address else "",
        "line1": getattr(address, "line1", ""),
        "line2": getattr(address, "line2", ""),
        "city": getattr(address, "city", ""),
        "region": getattr(address, "region", ""),
        "postalCode": getattr(address, "postal_code", ""),
        "country": str(getattr(address, "country", "") or ""),
        "phone": getattr(address, "phone", ""),
    }
    for key, value in fields.items():
        el.set(key, str(value or ""))


def _xml(root) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def pick_ticket_xml(release: Release) -> bytes:
    root = ET.Element("pickTicket")
    _head(root, release)
    _ship_to(root, release.ship_to)
    for rl in release.lines.all():
        line = ET.SubElement(
            root,
            "line",
            id=str(rl.pk),
            orderLine=str(rl.line_id),
            sku=rl.sku.code,
            quantity=str(rl.quantity),
            shipped=str(rl.shipped_quantity),
        )
        line.text = rl.sku.name
    return _xml(root)


def pack_slip_xml(release: Release) -> bytes:
    root = ET.Element("packSlip")
    _head(root, release)
    _ship_to(root, release.ship_to)
    for rl in release.lines.all():
        ordered = rl.line.quantity
        line = ET.SubElement(
            root,
            "line",
            id=str(rl.pk),
            orderLine=str(rl.line_id),
            sku=rl.sku.code,
            quantity=str(rl.quantity),
            shipped=str(rl.shipped_quantity),
            ordered=str(ordered),
            backordered=str(max(0, ordered - rl.quantity)),
        )
        line.text = rl.sku.name
    for s in release.shipments.all():
        ET.SubElement(
            root,
            "shipment",
            carrier=s.carrier,
            tracking=s.tracking_number,
            shipped=s.shipped_at.isoformat(),
        )
    return _xml(root)


def manifest_xml(releases, *, center="", status="released") -> bytes:
    root = ET.Element(
        "manifest", center=center or "", generated=timezone.now().isoformat(), status=status or ""
    )
    for r in releases:
        el = ET.SubElement(
            root,
            "release",
            number=r.number,
            order=r.order.number or str(r.order_id),
            shippingMethod=r.shipping_method.code if r.shipping_method else "",
            lines=str(r.line_count),
            units=str(r.units or 0),
            status=r.status,
        )
        _ship_to(el, r.ship_to)
    return _xml(root)
