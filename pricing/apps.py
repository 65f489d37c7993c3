from django.apps import AppConfig


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
