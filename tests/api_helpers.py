"""Shared set-up for the API tests: staff in a role, clients signed in with a token."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories


def member_of(role: str, **fields):
    """A staff user in one of the roles of config/roles.py (as set up by setup_roles)."""
    call_command("setup_roles")
    user = factories.UserFactory(username=role.lower().replace(" ", "-"), **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def client_for(user) -> APIClient:
    """An API client that signs every request with the user's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def error_of(response) -> dict:
    """The `error` object of an error response, after checking the shape around it."""
    body = response.json()
    assert list(body) == ["error"], body
    assert set(body["error"]) == {"status", "message", "field", "details"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]
