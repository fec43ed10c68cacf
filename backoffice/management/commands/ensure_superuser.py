import secrets
from typing import Any

from django.contrib.auth import get_user_model

from common.commands import QuietCommand


class Command(QuietCommand):
    help = (
        "Create a superuser with a generated password (printed once) when none exists; "
        "otherwise say how to log in."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--box",
            nargs="*",
            metavar="LINE",
            help="Print the sign-in in a box, after these lines (make run's last words).",
        )

    def handle(self, *args: Any, username: str, box: list[str] | None, **options: Any) -> None:
        sign_in = self.sign_in(username)
        if box is None:
            self.stdout.write(sign_in)
            return
        lines = [*box, sign_in]
        width = max(len(line) for line in lines)
        self.stdout.write("\n┌" + "─" * (width + 2) + "┐")
        for line in lines:
            self.stdout.write(f"│ {line.ljust(width)} │")
        self.stdout.write("└" + "─" * (width + 2) + "┘\n")

    def sign_in(self, username: str) -> str:
        users = get_user_model().objects
        existing = users.filter(is_superuser=True).order_by("pk").first()
        if existing:
            return (
                f"Log in as {existing.get_username()} (password set earlier; change it with "
                f"`manage.py changepassword {existing.get_username()}`)."
            )
        password = secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        return f"Created superuser {username} with password {password}  (shown only this once)"
