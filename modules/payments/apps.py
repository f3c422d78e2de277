from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "modules.payments"
    label = "payments"  # also the database alias
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"
