from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = "Cancellation requests"

    def ready(self) -> None:
        from cancellations import receivers  # noqa: F401  (connects them)
