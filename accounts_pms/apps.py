from django.apps import AppConfig


class AccountsPmsConfig(AppConfig):
    name = "accounts_pms"
    verbose_name = "StayNTouch Rover PMS"
