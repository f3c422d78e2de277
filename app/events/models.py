"""Event storage, present in every module's database; always queried with an explicit alias.

Publisher side: ``OutboxEvent`` (one row per published event, written in the publisher's
transaction) and ``OutboxDelivery`` (one row per (event, subscriber), created by the relay).
Consumer side: ``InboxEntry`` (one row per (subscriber, event) processed or being attempted)
and ``DeadLetter`` (a delivery that kept failing, with the envelope, for inspection and replay).
"""

from django.db import models


class OutboxEvent(models.Model):
    id = models.UUIDField(primary_key=True)  # the envelope id (UUIDv7: sorts by creation time)
    type = models.CharField(max_length=200)
    source = models.CharField(max_length=200)
    subject = models.CharField(max_length=200, blank=True)
    time = models.DateTimeField()
    data = models.JSONField()
    headers = models.JSONField(default=dict)  # correlation/causation ids, trace context, actor
    expanded_at = models.DateTimeField(null=True, blank=True)  # deliveries created by a relay
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Partial: only the events no relay has expanded yet, a handful at any time. Expanding one
        # takes it out of the index; nothing is written for the rows kept for replays.
        indexes = [models.Index(fields=["id"], condition=models.Q(expanded_at__isnull=True), name="outbox_unexpanded")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class OutboxDelivery(models.Model):
    # No index of its own: the unique (event, subscriber) constraint's index starts with it, and a
    # second one would only cost a write for every delivery inserted.
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    subscriber = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_subscriber")]
        # Partial, like the events' one: only undelivered deliveries, in the order the relay leases them.
        indexes = [
            models.Index(fields=["id"], condition=models.Q(delivered_at__isnull=True), name="outbox_undelivered")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.subscriber}"


class InboxEntry(models.Model):
    subscriber = models.CharField(max_length=200)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "event_id"], name="one_inbox_entry_per_event")]

    def __str__(self) -> str:
        return f"{self.subscriber} <- {self.event_id}"


class DeadLetter(models.Model):
    subscriber = models.CharField(max_length=200)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    envelope = models.JSONField()
    attempts = models.PositiveIntegerField()
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "event_id"], name="one_dead_letter_per_event")]

    def __str__(self) -> str:
        return f"dead: {self.subscriber} <- {self.event_type} {self.event_id}"
