from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "modules.notifications"
    label = "notifications"  # also the database alias
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
