"""Django admin for store admins: create and schedule auctions, their rules, all bids.

Writes go through the services: saving a new auction calls create_auction, the "Schedule"
action calls schedule_auction (the lot is reserved); bids are read-only here.
"""

from django.contrib import admin, messages

from auctions import services
from auctions.models import Auction, AuctionEvent, AuctionSettings, Bid
from core.errors import DomainError


class BidInline(admin.TabularInline):
    model = Bid
    extra = 0
    can_delete = False
    fields = ["customer", "price", "max_price", "is_autobid", "quantity", "status", "placed_at"]
    readonly_fields = fields
    ordering = ["-max_price", "placed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Auction)
class AuctionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "sku",
        "center",
        "auction_type",
        "quantity",
        "status",
        "ends_at",
        "bid_count",
    ]
    list_filter = ["status", "auction_type"]
    list_select_related = ["sku", "center"]
    search_fields = ["title", "sku__code"]
    autocomplete_fields = ["sku"]
    inlines = [BidInline]
    actions = ["schedule"]
    fields = [
        "title",
        "sku",
        "center",
        "quantity",
        "auction_type",
        "minimum_bid",
        "minimum_quantity",
        "reserve_price",
        "increments",
        "starts_at",
        "ends_at",
        "closing_rule",
        "extend_minutes",
        "status",
        "reserved_quantity",
        "current_price",
        "bid_count",
        "clearing_price",
    ]
    readonly_fields = [
        "status",
        "reserved_quantity",
        "current_price",
        "bid_count",
        "clearing_price",
    ]

    def has_change_permission(self, request, obj=None):
        # Rules change only through the services; an existing auction is read here.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        made = services.create_auction(
            actor=request.user,
            title=obj.title,
            sku=obj.sku,
            center=obj.center,
            quantity=obj.quantity,
            auction_type=obj.auction_type,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            minimum_bid=obj.minimum_bid,
            minimum_quantity=obj.minimum_quantity,
            reserve_price=obj.reserve_price,
            increments=obj.increments,
            closing_rule=obj.closing_rule,
            extend_minutes=obj.extend_minutes,
        )
        obj.pk = made.pk

    @admin.action(description="Schedule (reserve the lot from ATP)")
    def schedule(self, request, queryset):
        for auction in queryset:
            try:
                services.schedule_auction(actor=request.user, auction_id=auction.pk)
            except DomainError as exc:
                self.message_user(request, f"{auction}: {exc.message}", messages.ERROR)


@admin.register(Bid)
class BidAdmin(admin.ModelAdmin):
    list_display = ["auction", "customer", "price", "max_price", "quantity", "status", "placed_at"]
    list_filter = ["status", "is_autobid"]
    list_select_related = ["auction", "customer"]
    search_fields = ["customer__logon_id", "auction__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuctionEvent)
class AuctionEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "auction", "event_type", "actor"]
    list_select_related = ["auction", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuctionSettings)
class AuctionSettingsAdmin(admin.ModelAdmin):
    """The anomaly rules: one row."""

    def has_add_permission(self, request):
        return not AuctionSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
