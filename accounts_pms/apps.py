from django.apps import AppConfig


class AccountsPmsConfig(AppConfig):
    name = "accounts_pms"
    verbose_name = "StayNTouch Rover PMS"

    def ready(self) -> None:
        from accounts_pms import receivers  # noqa: F401  (connects the signal receivers)
