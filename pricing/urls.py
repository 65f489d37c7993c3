"""Screens of the pricing app, under /pricing/."""

from django.urls import path

from pricing import views

app_name = "pricing"
urlpatterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/reject/", views.reject, name="reject"),
]
