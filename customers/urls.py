"""Screens of the customers app, under /customers/."""

from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.find, name="find"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/profile/", views.profile, name="profile"),
    path("<int:pk>/addresses/", views.address_add, name="address_add"),
    path("<int:pk>/addresses/<int:address_id>/", views.address_edit, name="address_edit"),
    path(
        "<int:pk>/addresses/<int:address_id>/delete/",
        views.address_delete,
        name="address_delete",
    ),
    path(
        "<int:pk>/addresses/<int:address_id>/default/",
        views.address_default,
        name="address_default",
    ),
    path("<int:pk>/segments/", views.segment_change, name="segment_change"),
    path("<int:pk>/cards/", views.card_add, name="card_add"),
    path("<int:pk>/cards/<int:method_id>/delete/", views.card_remove, name="card_remove"),
    path("<int:pk>/cards/<int:method_id>/default/", views.card_default, name="card_default"),
    path("<int:pk>/enabled/", views.toggle_enabled, name="toggle_enabled"),
    path("<int:pk>/reset-password/", views.reset_password, name="reset_password"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_id>/pin/", views.note_pin, name="note_pin"),
    # The customer's own page, from the e-mailed link (no desk login).
    path("set-password/<uidb64>/<token>/", views.set_password, name="set_password"),
]
