from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The library every app builds on: it imports no app. Installed for its management
    commands (`qcluster`, `rotate_encryption_key`) and the admin's script."""

    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from common.task_queue import listen_for_stop

        post_spawn.connect(lambda **kwargs: listen_for_stop(), weak=False)
