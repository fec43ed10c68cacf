from django.apps import AppConfig


class SyncConnectionsConfig(AppConfig):
    name = "syncconnections"
    verbose_name = "Microsoft 365"
