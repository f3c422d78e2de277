"""The same columns as ``modules.orders.models`` and ``modules.inventory.models.Product``; the tables
come from ``migrate --run-syncdb``."""

import uuid

from django.db import models


class BareOrder(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_email = models.EmailField()
    status = models.CharField(max_length=16, default="PLACED")
    rejection_reason = models.CharField(max_length=300, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: "models.Manager[BareOrder]" = models.Manager()

    def __str__(self) -> str:
        return f"order {self.id}"


class BareOrderLine(models.Model):
    order = models.ForeignKey(BareOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    objects: "models.Manager[BareOrderLine]" = models.Manager()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class BareProduct(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    objects: "models.Manager[BareProduct]" = models.Manager()

    class Meta:
        ordering = ["sku"]  # as Product's: the same ORDER BY in the same SELECT

    def __str__(self) -> str:
        return self.sku
