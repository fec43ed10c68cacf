import secrets
from typing import Any

from django.contrib.auth import get_user_model

from config.commands import QuietCommand


class Command(QuietCommand):
    help = (
        "Create a superuser with a generated password (printed once) when none exists; "
        "otherwise say how to log in."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        users = get_user_model().objects
        existing = users.filter(is_superuser=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Log in as {existing.get_username()} (password set earlier; change it with "
                f"`manage.py changepassword {existing.get_username()}`)."
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            f"Created superuser {username} with password {password}  (shown only this once)"
        )
