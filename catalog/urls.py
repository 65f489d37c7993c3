"""Screens of the catalog app, under /catalog/."""

from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.find_items, name="find"),
    path("sku/<str:code>/", views.sku_detail, name="sku"),
]
