import uuid

from django.db import models


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.EmailField(db_index=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # What the message is about, e.g. "orders.OrderPlacedV1:<order id>". Unique, so a redelivered
    # event never emails the customer twice.
    reference = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.recipient}"
