from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "modules.inventory"
    label = "inventory"  # also the database alias
    verbose_name = "Inventory"
    default_auto_field = "django.db.models.BigAutoField"
