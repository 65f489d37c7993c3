from django.apps import AppConfig
from django.conf import settings


class PricingConfig(AppConfig):
    name = "pricing"

    def ready(self) -> None:
        # Infrastructure only: any change to a pricing rule bumps the rules' cache version so
        # every process rebuilds its cached rules. No business logic here. Models are imported
        # here, once the app registry is ready.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from catalog.models import Category
        from pricing import models as m
        from pricing.loader import bump_rules_version

        rule_models = [
            m.PriceList,
            m.CategoryPriceAdjustment,
            m.Promotion,
            m.ShippingMethod,
            m.ShippingRate,
            m.ShippingRateBand,
            m.TaxCategory,
            m.TaxRate,
            m.PricingSettings,
            Category,
        ]
        for model in rule_models:
            post_save.connect(bump_rules_version, sender=model, dispatch_uid=f"pricing-{model}")
            post_delete.connect(bump_rules_version, sender=model, dispatch_uid=f"pricing-d{model}")
        for through in [
            m.Promotion.segments.through,
            m.Promotion.skus.through,
            m.Promotion.categories.through,
            m.Promotion.shipping_methods.through,
            m.Promotion.get_skus.through,
        ]:
            m2m_changed.connect(
                bump_rules_version, sender=through, dispatch_uid=f"pricing-{through}"
            )
        # The catalog's screens show each SKU's list price (catalog cannot import pricing).
        from catalog import facts
        from pricing.selectors import list_prices

        facts.register(
            facts.LIST_PRICE,
            lambda *, sku_ids: list_prices(sku_ids=sku_ids, currency=settings.STORE_CURRENCY),
        )
