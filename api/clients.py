"""API clients: made, given a secret, rotated, checked and audited. The admin, the
`create_api_client` command, the token endpoint and the API's bearer sign-in all call these."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import unquote_plus

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.settings import oauth2_settings

from api.models import ApiAuditEntry, ApiClient
from common.middleware import client_address

# "Last used" is written at most once a minute per client, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- making and changing ----------------------------------------------------------------------


@transaction.atomic
def create(
    name: str,
    *,
    group: Group | None = None,
    permissions: Iterable[Permission] = (),
    allowed_addresses: str = "",
) -> tuple[ApiClient, str]:
    """A new client with its role, and its secret: the only time the secret is in clear."""
    secret = generate_client_secret()
    application = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed when saved
    )
    user = get_user_model()(
        username=f"api-client.{application.client_id}",
        first_name="API client",
        last_name=name[:150],
        is_staff=True,  # the API, as the admin, serves staff only; no password to sign in
    )
    user.set_unusable_password()
    user.save()
    application.user = user
    application.save()
    client = ApiClient.objects.create(
        name=name, application=application, user=user, allowed_addresses=allowed_addresses
    )
    set_role(client, group, permissions)
    return client, secret


def set_role(client: ApiClient, group: Group | None, permissions: Iterable[Permission]) -> None:
    """What the client's requests may do: a staff role, chosen permissions, or both."""
    client.user.groups.set([group] if group else [])
    client.user.user_permissions.set(list(permissions))


def role_of(client: ApiClient) -> Group | None:
    return client.user.groups.first()


@transaction.atomic
def new_secret(client: ApiClient, *, grace: timedelta = timedelta(0)) -> str:
    """A new secret for the client. The one it replaces keeps working for `grace`
    (rotation), or stops at once (no grace)."""
    secret = generate_client_secret()
    # Locked, so that two rotations at once cannot both keep "the previous" secret.
    application = Application.objects.select_for_update().get(pk=client.application_id)
    previous, valid_until = "", None
    if grace > timedelta(0):
        previous, valid_until = application.client_secret, timezone.now() + grace
    application.client_secret = make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
    application.save(update_fields=["client_secret", "updated"])
    ApiClient.objects.filter(pk=client.pk).update(
        previous_secret=previous, previous_secret_valid_until=valid_until
    )
    client.previous_secret, client.previous_secret_valid_until = previous, valid_until
    return secret


@transaction.atomic
def delete(client: ApiClient) -> None:
    """The client, its tokens, its application and its user; its audit entries stay."""
    user_id = client.user_id
    Application.objects.filter(pk=client.application_id).delete()  # the client and tokens
    get_user_model().objects.filter(pk=user_id).delete()


def revoke_tokens(client: ApiClient) -> int:
    """Ends every token of the client at once; returns how many there were."""
    deleted, _ = AccessToken.objects.filter(application_id=client.application_id).delete()
    return deleted


def live_tokens(client: ApiClient) -> int:
    return AccessToken.objects.filter(
        application_id=client.application_id, expires__gt=timezone.now()
    ).count()


def touch(client: ApiClient) -> None:
    """Notes that the client was used now."""
    now = timezone.now()
    used = client.last_used_at
    if used is not None and used >= now - LAST_USED_PRECISION:
        return  # noted within the minute: no statement on every request
    # Conditional, so that requests at once still write the row once.
    ApiClient.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION),
        pk=client.pk,
    ).update(last_used_at=now)


# --- checking ---------------------------------------------------------------------------------


def parse_networks(text: str) -> list[Network]:
    """The allow-list: one address or network a line (blank lines and # comments aside)."""
    networks, wrong = [], []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            wrong.append(entry)
    if wrong:
        raise ValidationError(
            f"Not an address or network (such as 203.0.113.7 or 203.0.113.0/24): "
            f"{', '.join(wrong)}."
        )
    return networks


def address_allowed(client: ApiClient, address: str) -> bool:
    networks = parse_networks(client.allowed_addresses)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def secret_matches(client: ApiClient, secret: str) -> bool:
    """The current secret, or the previous one during its grace period."""
    if check_password(secret, client.application.client_secret):
        return True
    valid_until = client.previous_secret_valid_until
    return bool(
        client.previous_secret
        and valid_until
        and valid_until > timezone.now()
        and check_password(secret, client.previous_secret)
    )


def refusal(client: ApiClient | None, address: str) -> str:
    """Why the client may not use the API now from this address ("" if it may)."""
    if client is None:
        return "unknown client"
    if not client.is_active:
        return "client inactive"
    if not address_allowed(client, address):
        return f"address {address} not allowed"
    return ""


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic header, each form-encoded (RFC 6749 2.3.1)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


# --- the audit --------------------------------------------------------------------------------


def audit(
    kind: str,
    *,
    client: ApiClient | None,
    name: str,
    address: str,
    method: str,
    path: str,
    status: int,
    detail: str = "",
) -> None:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        address = ""
    ApiAuditEntry.objects.create(
        at=timezone.now(),
        kind=kind,
        client=client,
        client_name=name[:255],
        address=address or None,
        method=method[:10],
        path=path[:500],
        status=status,
        detail=detail[:500],
    )


def audit_request(
    request: HttpRequest, kind: str, *, client: ApiClient | None, status: int, detail: str = ""
) -> None:
    """An entry for a request to the API itself (a write, or a token refused there)."""
    audit(
        kind,
        client=client,
        name=client.name if client else "",
        address=client_address(request),
        method=request.method or "",
        path=request.get_full_path(),
        status=status,
        detail=detail,
    )
