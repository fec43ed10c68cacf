"""The tenant "Test": sign in with the tenant's credentials and make one read call."""

from __future__ import annotations

from dataclasses import dataclass

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
