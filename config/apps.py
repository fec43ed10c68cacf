from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project shell: its system checks and the task queue's cache table (a migration
    kept under the `project` label that existing databases have applied)."""

    name = "config"
    label = "project"
    verbose_name = "Bookbridge"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the system checks)
