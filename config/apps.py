from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Project-wide pieces that belong to no single app: roles, demo data, encrypted fields."""

    name = "config"
    label = "project"
    verbose_name = "Bookbridge"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the system checks)
