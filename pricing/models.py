from django.db import models


class ShippingMethod(models.Model):
    """How goods travel (Ground, Express); charges and carrier arrangements hang off it."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    carrier = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
