from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run():
    out = StringIO()
    call_command("ensure_superuser", stdout=out)
    return out.getvalue()


def test_creates_one_superuser_and_prints_its_password_once():
    first = run()
    second = run()

    user = get_user_model().objects.get()
    password = first.split("with password ")[1].split()[0]
    assert user.username == "admin" and user.is_superuser
    assert user.check_password(password)
    assert password not in second
    assert second.startswith("Log in as admin")


def test_the_box_ends_with_the_sign_in():
    out = StringIO()
    call_command("ensure_superuser", "--box", "Admin: http://127.0.0.1:8000/admin/", stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("┌") and lines[-1].startswith("└")
    assert lines[1] == "│ Admin: http://127.0.0.1:8000/admin/".ljust(len(lines[2]) - 1) + "│"
    assert lines[2].startswith("│ Created superuser admin with password ")
    assert len({len(line) for line in lines}) == 1
