from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The composition root as a Django app: owns `migrate`, `load_demo_data` and bootstrap."""

    name = "app"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from app import checks  # noqa: F401  (registers the system checks)
        from app.bootstrap import bootstrap

        bootstrap()
