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
