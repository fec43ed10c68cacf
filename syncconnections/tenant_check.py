"""The tenant "Test": sign in with the tenant's credentials and make one read call, saying
exactly what failed (Microsoft 365 or Google Workspace)."""

from __future__ import annotations

from dataclasses import dataclass

from syncconnections import google
from syncconnections.google_keys import parse_key
from syncconnections.graph import GraphClient, GraphError
from syncconnections.models import Tenant

TOKEN_PROBLEMS = {
    "invalid_client": "Microsoft refused the client secret",
    "unauthorized_client": "Microsoft does not know this application (client) id in the tenant",
    "invalid_tenant": "Microsoft does not know this directory (tenant) id",
}


@dataclass
class TenantCheck:
    ok: bool
    message: str


def check(tenant: Tenant) -> TenantCheck:
    if tenant.is_google:
        return check_google(tenant)
    client = GraphClient.for_tenant(tenant)
    client.tokens.forget()  # a real sign-in, not a cached token
    try:
        client.tokens.token()
    except GraphError as exc:
        return TenantCheck(False, f"{tenant}: sign-in failed. {_explain(exc)}")
    try:
        user = client.first_user()
    except GraphError as exc:
        if exc.status == 403:
            return TenantCheck(
                False,
                f"{tenant}: signed in, but the app may not read the "
                f"directory (grant User.Read.All and Calendars.ReadWrite "
                f"as application permissions): {exc}",
            )
        return TenantCheck(
            False, f"{tenant}: signed in, but reading the directory failed. {_explain(exc)}"
        )
    found = f" (first user: {user.get('mail') or user.get('id')})" if user else ""
    return TenantCheck(True, f"{tenant}: signed in to Microsoft 365 and read the directory{found}.")


def _explain(exc: GraphError) -> str:
    if not exc.permanent:
        return f"Microsoft 365 could not be reached or answered with an error; try again. ({exc})"
    known = TOKEN_PROBLEMS.get(exc.code)
    return f"{known}: {exc.message}" if known else str(exc)


# --- Google Workspace --------------------------------------------------------------------------

DELEGATION_PLACE = (
    "Admin console > Security > Access and data control > API controls > Manage domain-wide "
    "delegation"
)


def check_google(tenant: Tenant) -> TenantCheck:
    """The key, the delegation of each scope, then the rooms: the first that fails is named."""
    try:
        key = parse_key(tenant.google_service_account_key)
    except ValueError as exc:
        return TenantCheck(False, f"{tenant}: the service account key cannot be used. {exc}")
    admin = tenant.google_admin_email
    refused = []
    for scope in google.SCOPES:  # one token per scope, to name the one not delegated
        tokens = google.GoogleTokens(key, admin, [scope])
        tokens.forget()  # a real sign-in, not a cached token
        try:
            tokens.token()
        except google.GoogleError as exc:
            if exc.code != "unauthorized_client":
                return TenantCheck(
                    False, f"{tenant}: sign-in failed. {_explain_google(exc, key, admin)}"
                )
            refused.append(scope)
    if refused:
        return TenantCheck(
            False,
            f"{tenant}: the key works, but domain-wide delegation does not grant client id "
            f"{key['client_id']} the scope{'s' if len(refused) > 1 else ''} "
            f"{', '.join(refused)}. Add {'them' if len(refused) > 1 else 'it'} in "
            f"{DELEGATION_PLACE}.",
        )
    try:
        rooms = sum(1 for _ in google.GoogleClient(key, admin).calendar_resources())
    except google.GoogleError as exc:
        if exc.status == 403:
            return TenantCheck(
                False,
                f"{tenant}: signed in, but {admin} may not read the calendar resources: make "
                f"them a super admin, or give them a role that may. ({exc})",
            )
        return TenantCheck(False, f"{tenant}: signed in, but reading the rooms failed. {exc}")
    return TenantCheck(
        True,
        f"{tenant}: signed in to Google Workspace as {admin} with both scopes delegated, and "
        f"read {rooms} room{'' if rooms == 1 else 's'} (calendar resources).",
    )


def _explain_google(exc: google.GoogleError, key: dict, admin: str) -> str:
    if not exc.permanent:
        return f"Google could not be reached or answered with an error; try again. ({exc})"
    if exc.code == "invalid_grant" and "email or user id" in exc.message.lower():
        return f"Google does not know the admin user {admin} in this Workspace."
    if exc.code == "invalid_grant":
        return (
            f"Google refused the key of {key['client_email']}: it was deleted, or it is not "
            f"this service account's; create a new key. ({exc.message})"
        )
    return str(exc)
