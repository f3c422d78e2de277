from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    """The remembered responses of requests sent with an Idempotency-Key. The table is created in
    every module's database (see ``app.db_router``), so a response is stored in the transaction of
    the module that produced it."""

    name = "app.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
    default_auto_field = "django.db.models.BigAutoField"
