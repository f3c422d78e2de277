from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The outbox, inbox and dead-letter tables. They are created in every module's database
    (see ``app.db_router``), so an event commits with the change it announces."""

    name = "app.events"
    label = "events"
    verbose_name = "Events"
    default_auto_field = "django.db.models.BigAutoField"
