from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "modules.orders"
    label = "orders"  # also the database alias
    verbose_name = "Orders"
    default_auto_field = "django.db.models.BigAutoField"
