from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """What spans the apps: the admin index's sync health panel, the staff roles, the task
    schedules, the demo data and the health check."""

    name = "backoffice"
    verbose_name = "Back office"
