from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import CommandError
from django.db import transaction

from backoffice.roles import ROLES
from common.commands import QuietCommand


def resolve(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={codename for _, codename in wanted}
        )
    }
    missing = sorted(".".join(key) for key in wanted - found.keys())
    if missing:
        raise CommandError(f"Unknown permissions (run migrate first?): {', '.join(missing)}")
    return [found[key] for key in sorted(wanted)]


class Command(QuietCommand):
    help = "Create or update the staff groups and give each exactly its role's permissions."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for name, permission_names in ROLES.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(resolve(permission_names))
            self.say(f"{name}: {len(permission_names)} permissions")
