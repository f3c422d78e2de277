"""One row per (caller, Idempotency-Key), present in every module's database; always queried with
an explicit alias."""

from django.db import models


class IdempotencyRecord(models.Model):
    scope = models.CharField(max_length=255)  # the caller: "principal:<subject>" or "anonymous"
    key = models.CharField(max_length=255)  # the Idempotency-Key header, as sent
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path, query and body
    # Null only inside the transaction that claimed the key and runs the request: a committed row
    # always holds the response to replay.
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content_type = models.CharField(max_length=255, blank=True)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_idempotency_record_per_key")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expiry")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key!r}"
