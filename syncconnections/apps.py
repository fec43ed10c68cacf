from django.apps import AppConfig


class SyncConnectionsConfig(AppConfig):
    name = "syncconnections"
    verbose_name = "Microsoft 365"

    def ready(self) -> None:
        from syncconnections import receivers  # noqa: F401  (connects the signal receivers)
