"""Screens of the fulfillment app, under /fulfillment/."""

from django.urls import path

from fulfillment import views

app_name = "fulfillment"
urlpatterns: list = [
    path("", views.inventory, name="inventory"),
    path("adjust/", views.adjust, name="adjust"),
    path("expected/<int:pk>/receive/", views.receive, name="receive"),
    path("sweep/", views.sweep, name="sweep"),
]
