from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from api import clients
from api.models import ApiClient
from common.commands import QuietCommand


class Command(QuietCommand):
    help = (
        "Create an API client acting with a staff role, and print its client id and secret "
        "once (docs/api.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The system that uses the API, e.g. Billing.")
        parser.add_argument("--group", required=True, help="The role, e.g. Support.")
        parser.add_argument(
            "--allow",
            action="append",
            default=[],
            metavar="ADDRESS",
            help="An address or network it may call from (repeat for more); default: any.",
        )

    def handle(self, *args: Any, name: str, group: str, allow: list[str], **opts: Any) -> None:
        role = Group.objects.filter(name=group).first()
        if role is None:
            known = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"No role {group!r}. Roles: {known or 'none (run setup_roles)'}.")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} exists already.")
        allowed = "\n".join(allow)
        try:
            clients.parse_networks(allowed)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        client, secret = clients.create(name, group=role, allowed_addresses=allowed)
        self.stdout.write(f"client id:     {client.client_id}")
        self.stdout.write(f"client secret: {secret}")
        self.stdout.write("The secret is shown only this once; keep it as you would a password.")
