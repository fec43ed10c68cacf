"""Drive a running sandbox through its control API (tests, benchmarks, demos)."""

from __future__ import annotations

from typing import Any

import requests


class SandboxControl:
    def __init__(self, url: str, ca_file: str) -> None:
        self.url = url.rstrip("/")
        self.ca_file = ca_file
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.session.request(
            method,
            f"{self.url}/_sandbox/{path.lstrip('/')}",
            json=body,
            params=params or None,
            verify=self.ca_file,
            timeout=30,
        )
        if response.status_code >= 400:
            raise AssertionError(
                f"sandbox {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    # --- state ---------------------------------------------------------------------------

    def reset(self) -> None:
        self.call("POST", "reset")

    def seed(self, **data: Any) -> dict[str, int]:
        return self.call("POST", "seed", data)

    def mailbox(
        self,
        address: str,
        *,
        kind: str = "room",
        calendars: list[str] | None = None,
        tenant: str = "sandbox",
    ) -> None:
        if kind == "room":
            self.seed(
                rooms=[{"address": address, "tenant": tenant}],
                mailboxes=[
                    {
                        "address": address,
                        "kind": "room",
                        "tenant": tenant,
                        "calendars": calendars or [],
                    }
                ],
            )
        else:
            self.seed(
                mailboxes=[
                    {
                        "address": address,
                        "kind": kind,
                        "tenant": tenant,
                        "calendars": calendars or [],
                    }
                ]
            )

    def calendar_processing(self, mailbox: str, **settings: Any) -> dict[str, Any]:
        """Set a room's automate_processing ("AutoAccept", "AutoUpdate", "None") and
        allow_conflicts, as Set-CalendarProcessing does."""
        return self.call("PUT", f"mailboxes/{mailbox}/calendar-processing", settings)

    def events(self, mailbox: str) -> list[dict[str, Any]]:
        return self.call("GET", f"mailboxes/{mailbox}/events")["value"]

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return self.call("GET", "requests", since=since)["value"]

    def clear_requests(self) -> None:
        """Clear the request log and the mailboxes' peak concurrency."""
        self.call("DELETE", "requests")

    def peak_concurrency(self) -> dict[str, int]:
        """The most requests each mailbox had running at once since the log was cleared."""
        return self.call("GET", "concurrency")["peak"]

    # --- acting as an Outlook user -------------------------------------------------------

    def outlook_create(self, mailbox: str, **event: Any) -> dict[str, Any]:
        return self.call("POST", f"outlook/{mailbox}/events", event)

    def outlook_create_many(self, mailbox: str, events: list[dict[str, Any]]) -> list[dict]:
        return self.call("POST", f"outlook/{mailbox}/events", {"events": events})["value"]

    def outlook_update(self, mailbox: str, event_id: str, **changes: Any) -> dict[str, Any]:
        return self.call("PATCH", f"outlook/{mailbox}/events/{event_id}", changes)

    def outlook_cancel(self, mailbox: str, event_id: str) -> dict[str, Any]:
        return self.call("POST", f"outlook/{mailbox}/events/{event_id}/cancel")

    def outlook_delete(self, mailbox: str, event_id: str) -> None:
        self.call("DELETE", f"outlook/{mailbox}/events/{event_id}")

    # --- faults and lifecycle ------------------------------------------------------------

    def fault(self, path: str, **spec: Any) -> dict[str, Any]:
        return self.call("POST", "faults", {"path": path, **spec})

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

    def expire_delta(self, mailbox: str) -> int:
        return self.call("POST", f"mailboxes/{mailbox}/delta/expire")["expired"]

    def revoke(self, tenant: str = "sandbox") -> None:
        self.call("POST", f"tenants/{tenant}/revoke")

    def permissions(
        self, permissions: list[str], tenant: str = "sandbox", client_id: str = "sandbox-client"
    ) -> None:
        self.call("PUT", f"apps/{tenant}/{client_id}/permissions", {"permissions": permissions})

    def subscriptions(self) -> list[dict[str, Any]]:
        return self.call("GET", "subscriptions")["value"]

    def lifecycle(self, subscription_id: str, event: str, times: int = 1) -> None:
        self.call(
            "POST", f"subscriptions/{subscription_id}/lifecycle", {"event": event, "times": times}
        )

    def notify(self, subscription_id: str, **spec: Any) -> list[dict[str, Any]]:
        """Deliver change notifications now (times, seconds, concurrency, clientState, event,
        changeType); what each delivery got back."""
        return self.call("POST", f"subscriptions/{subscription_id}/notify", spec)["value"]

    def settings(self, **values: Any) -> dict[str, Any]:
        return self.call("PUT", "settings", values)

    def notifications(self) -> list[dict[str, Any]]:
        return self.call("GET", "notifications")["value"]

    # --- Rover ---------------------------------------------------------------------------

    def rover(self) -> dict[str, Any]:
        return self.call("GET", "rover")

    def expire_rover_tokens(self) -> None:
        self.call("POST", "rover/expire-tokens")

    # --- Google Workspace ------------------------------------------------------------------

    def google_service_account(self, **body: Any) -> dict[str, Any]:
        """A new service account's key file (JSON); see control.google_service_account."""
        return self.call("POST", "google/service-accounts", body)

    def google_delegation(self, email: str, scopes: list[str]) -> None:
        self.call("PUT", f"google/service-accounts/{email}/delegation", {"scopes": scopes})

    def google_user(self, email: str, *, admin: bool = False) -> None:
        self.call("POST", "google/users", {"email": email, "admin": admin})

    def google_resource(self, email: str, name: str, **fields: Any) -> dict[str, Any]:
        return self.call(
            "POST", "google/resources", {"resourceEmail": email, "resourceName": name, **fields}
        )

    def google_events(self, calendar: str) -> list[dict[str, Any]]:
        """A Workspace calendar's events as stored, deleted ones (status cancelled) too."""
        return self.call("GET", f"google/calendars/{calendar}/events")["value"]

    def google_expire_sync(self, calendar: str) -> None:
        self.call("POST", f"google/calendars/{calendar}/sync/expire")
