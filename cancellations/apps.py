from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "cancellations"
    verbose_name = "Cancellation requests"
