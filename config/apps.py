from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """Project-wide pieces that belong to no single app: roles, demo data, encrypted fields."""

    name = "config"
    label = "project"
    verbose_name = "Bookbridge"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from config import checks  # noqa: F401  (registers the system checks)
        from config.task_queue import listen_for_stop

        post_spawn.connect(lambda **kwargs: listen_for_stop(), weak=False)
