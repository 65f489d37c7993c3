"""Screens of the orders app, under /orders/."""

from django.urls import path

from orders import approval_views, changes_views, quotes_views, views

app_name = "orders"
urlpatterns = [
    path("find/", views.find, name="find"),
    path("new/guest/", views.cart_new_guest, name="cart_new_guest"),
    path(
        "new/customer/<int:customer_id>/", views.cart_new_for_customer, name="cart_new_for_customer"
    ),
    path("customer/<int:customer_id>/orders/", views.customer_orders, name="customer_orders"),
    path("<int:pk>/", views.order_screen, name="order"),
    path("<int:pk>/suggest/", views.suggest, name="suggest"),
    path("<int:pk>/lines/", views.line_add, name="line_add"),
    path("<int:pk>/lines/<int:line_id>/", views.line_update, name="line_update"),
    path("<int:pk>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path(
        "<int:pk>/adjustments/<int:adjustment_id>/",
        views.adjustment_remove,
        name="adjustment_remove",
    ),
    path("<int:pk>/settings/", views.settings_set, name="settings"),
    path("<int:pk>/panel/<str:name>/", views.panel, name="panel"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/placed/", views.placed, name="placed"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reorder/", views.reorder, name="reorder"),
    path("<int:pk>/comment/", views.comment_on_order, name="comment"),
    path("<int:pk>/move-backorders/", views.move_backorders, name="move_backorders"),
    path("<int:pk>/quote-box/", quotes_views.cart_box, name="quote_box"),
    path("<int:pk>/quote/", quotes_views.create, name="quote_create"),
    path("quotes/open/", quotes_views.open_list, name="quotes_open"),
    path("quotes/report/", quotes_views.report, name="quotes_report"),
    path("quotes/<int:quote_id>/", quotes_views.detail, name="quote"),
    path("quotes/<int:quote_id>/convert/", quotes_views.convert, name="quote_convert"),
    path("quotes/<int:quote_id>/copy/", quotes_views.copy, name="quote_copy"),
    path("quotes/<int:quote_id>/cancel/", quotes_views.cancel, name="quote_cancel"),
    # changes after submit and holds (issue 16)
    path("<int:pk>/changes/", changes_views.changes_panel, name="changes_panel"),
    path("<int:pk>/change/", changes_views.change_form, name="change_form"),
    path("<int:pk>/change/submit/", changes_views.change_submit, name="change_submit"),
    path("<int:pk>/hold/", changes_views.hold_place, name="hold_place"),
    path("holds/", changes_views.hold_queue, name="hold_queue"),
    path("holds/<int:hold_id>/decide/", changes_views.hold_decide, name="hold_decide"),
    path("quotes/<int:quote_id>/extend/", quotes_views.extend, name="quote_extend"),
    path(
        "adjustments/<int:pk>/approve/",
        approval_views.adjustment_approve,
        name="adjustment_approve",
    ),
]
