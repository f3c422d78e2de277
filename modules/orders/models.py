import uuid

from django.db import models

from modules.orders.domain import OrderStatus


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_email = models.EmailField()
    # The subject of the principal who placed it (an id in the identity provider, not a key).
    customer_id = models.CharField(max_length=200, db_index=True, blank=True)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in OrderStatus], default=OrderStatus.PLACED
    )
    rejection_reason = models.CharField(max_length=300, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)  # a product in inventory, referenced by its sku only
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"
