"""The Google Workspace part of the sandbox's world: service accounts with their public keys
and domain-wide delegation, the domain's users, its calendar resources (rooms) and the access
tokens issued. Written from Google's documentation (docs/sandbox.md, "Google")."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
DIRECTORY_RESOURCE_SCOPE = "https://www.googleapis.com/auth/admin.directory.resource.calendar"
DIRECTORY_RESOURCE_READONLY_SCOPE = DIRECTORY_RESOURCE_SCOPE + ".readonly"
# What Bookbridge asks for; a service account is delegated these unless a test says otherwise.
DEFAULT_SCOPES = frozenset({CALENDAR_SCOPE, DIRECTORY_RESOURCE_READONLY_SCOPE})
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
TOKEN_LIFETIME = dt.timedelta(hours=1)
DEFAULT_DOMAIN = "fabrikam.test"
DEFAULT_ADMIN = f"admin@{DEFAULT_DOMAIN}"
DEFAULT_CUSTOMER = "C03az79cb"


@dataclass
class ServiceAccount:
    email: str
    client_id: str  # the numeric "unique id" an admin grants delegation to
    public_key_pem: bytes
    private_key_id: str
    delegated_scopes: set[str]  # Admin console > Security > API controls > Domain-wide delegation


@dataclass
class GoogleToken:
    subject: str
    scopes: frozenset[str]
    expires: dt.datetime


@dataclass
class GoogleState:
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    # The Workspace domain's users: email -> is a super admin.
    users: dict[str, bool] = field(default_factory=lambda: {DEFAULT_ADMIN: True})
    customer: str = DEFAULT_CUSTOMER
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # by resourceId
    tokens: dict[str, GoogleToken] = field(default_factory=dict)
    # Each user's and room's calendar, by its address: its events by id (deleted ones kept,
    # cancelled, as Google keeps them), when each last changed (the counter below), and the
    # oldest change a sync token may start from (older ones answer 410).
    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: int = 1
    # Rooms set to "Automatically add all invitations to this calendar" (the others
    # "Auto-accept invitations that do not conflict", Google's default), by address.
    accept_all: set[str] = field(default_factory=set)
    # Push notification channels (events.watch), by channel id.
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for email in self.users:
            self.add_calendar(email)

    def __setstate__(self, kept: dict[str, Any]) -> None:
        """Unpickled from a state file an older sandbox saved: what it did not keep yet
        starts empty."""
        self.__dict__.update({**GoogleState().__dict__, **kept})

    def add_calendar(self, email: str, time_zone: str = "Europe/Amsterdam") -> dict[str, Any]:
        return self.calendars.setdefault(
            email,
            {"id": email, "time_zone": time_zone, "events": {}, "changed": {}, "sync_floor": 0},
        )

    def next_change(self) -> int:
        self.changes += 1
        return self.changes

    def room_emails(self) -> set[str]:
        return {r["resourceEmail"].lower() for r in self.resources.values()}

    def add_service_account(
        self, email: str, token_uri: str, scopes: set[str] | None = None
    ) -> dict[str, Any]:
        """A new service account and its key file (the JSON Google lets an admin download),
        its token_uri aimed at this sandbox."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        client_id = str(100000000000000000000 + secrets.randbelow(10**20))
        key_id = secrets.token_hex(20)
        self.service_accounts[email] = ServiceAccount(
            email, client_id, public_pem, key_id, set(DEFAULT_SCOPES if scopes is None else scopes)
        )
        project = email.split("@", 1)[1].split(".", 1)[0]
        return {
            "type": "service_account",
            "project_id": project,
            "private_key_id": key_id,
            "private_key": private_pem,
            "client_email": email,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def register_key(self, key: dict[str, Any]) -> None:
        """A service account known by a key file made elsewhere (the demo tenant's, kept in
        Bookbridge's database): its public key derived from the file's private key, as the
        Cloud console keeps the public half of a key it made. Delegated what Bookbridge asks
        for; registering it again changes nothing."""
        email = str(key["client_email"])
        if email in self.service_accounts:
            return
        private = serialization.load_pem_private_key(str(key["private_key"]).encode(), None)
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.service_accounts[email] = ServiceAccount(
            email,
            str(key["client_id"]),
            public_pem,
            str(key.get("private_key_id") or ""),
            set(DEFAULT_SCOPES),
        )

    def add_user(self, email: str, admin: bool = False) -> None:
        self.users[email.lower()] = self.users.get(email.lower(), False) or admin
        self.add_calendar(email.lower())

    def issue_token(self, subject: str, scopes: frozenset[str]) -> str:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self.tokens[token] = GoogleToken(subject, scopes, _now() + TOKEN_LIFETIME)
        return token

    def add_resource(self, email: str, name: str, **fields: Any) -> dict[str, Any]:
        for resource in self.resources.values():  # seeded again: the room it is already
            if resource["resourceEmail"].lower() == email.lower():
                return resource
        resource_id = fields.pop("resourceId", None) or str(secrets.randbelow(10**11))
        resource = {
            "kind": "admin#directory#resources#calendars#CalendarResource",
            "etags": json.dumps(secrets.token_hex(8)),
            "resourceId": resource_id,
            "resourceName": name,
            "resourceEmail": email,
            "generatedResourceName": name,
            "resourceType": "Conference room",
            **fields,
        }
        self.resources[resource_id] = resource
        self.add_calendar(email.lower())
        return resource


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
