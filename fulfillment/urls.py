"""Screens of the fulfillment app, under /fulfillment/."""

from django.urls import path

from fulfillment import ops_views, views

app_name = "fulfillment"
urlpatterns: list = [
    path("", views.inventory, name="inventory"),
    path("adjust/", views.adjust, name="adjust"),
    path("expected/<int:pk>/receive/", views.receive, name="receive"),
    path("sweep/", views.sweep, name="sweep"),
    # operations: jobs, releases, pick and pack, shipments, payment attention
    path("ops/", ops_views.ops, name="ops"),
    path("ops/run/<str:name>/", ops_views.run_now, name="run_now"),
    path("releases/<int:pk>/", ops_views.release_detail, name="release"),
    path("releases/<int:pk>/ship/", ops_views.ship, name="ship"),
    path("releases/<int:pk>/pick-ticket/", ops_views.pick_ticket, name="pick_ticket"),
    path("releases/<int:pk>/pack-slip/", ops_views.pack_slip, name="pack_slip"),
    path("manifest/", ops_views.manifest, name="manifest"),
    path("pick/", ops_views.pick_list, name="pick_list"),
    path("attention/", ops_views.attention_list, name="attention"),
    path("attention/<int:order_id>/", ops_views.attention_action, name="attention_action"),
    path("orders/<int:order_id>/shipments/", ops_views.order_shipments, name="order_shipments"),
]
