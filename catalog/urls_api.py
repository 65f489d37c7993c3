"""API of the catalog app, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from catalog import api

router = SimpleRouter(use_regex_path=False)  # path converters: a non-integer id is a 404
router.register("catalog/categories", api.CategoryViewSet, basename="catalog-category")
router.register("catalog/products", api.ProductViewSet, basename="catalog-product")
router.register("catalog/skus", api.SKUViewSet, basename="catalog-sku")

urlpatterns = router.urls
