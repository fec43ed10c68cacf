"""The staff roles (auth groups) and their permissions, applied by `manage.py setup_roles`.

Each role is the complete list of its permissions: running setup_roles makes the group hold
exactly these, so a permission removed here is removed from the group too.
"""

from __future__ import annotations

BOOKING_MODELS = (
    "location",
    "resource",
    "staff",
    "account",
    "service",
    "reservation",
    "reservationseries",
    "servicereservation",
)


def crud(app_label: str, *models: str) -> list[str]:
    return [
        f"{app_label}.{action}_{m}"
        for m in models
        for action in ("view", "add", "change", "delete")
    ]


def view(app_label: str, *models: str) -> list[str]:
    return [f"{app_label}.view_{m}" for m in models]


LOGS = [
    *view("syncconnections", "companylogentry"),
    *view("errors", "syncerror"),
    *view("accounts_pms", "stayntouchrequest", "postingaccount", "roveraccountlink"),
]

# Failed sign-ins and the locks they made (django-axes): read by those who answer "I cannot
# sign in"; an integration admin also unlocks (deletes the attempts).
SIGN_INS = view("axes", "accessattempt", "accessfailurelog")

# What API clients wrote, and the tokens refused them (api.ApiAuditEntry).
API_AUDIT = view("api", "apiauditentry")

ROLES: dict[str, list[str]] = {
    # Runs the bookings day to day and decides cancellation requests.
    "Back office": [
        *crud("bookings", *BOOKING_MODELS),
        "cancellations.view_cancellationrequest",
        "cancellations.approve_cancellationrequest",
        "cancellations.reject_cancellationrequest",
        "cancellations.get_status_info_cancellationrequest",
        "syncconnections.view_outlookconflict",
        "syncconnections.decide_outlookconflict",
        *LOGS,
    ],
    # Reads everything needed to answer questions; decides and changes nothing.
    "Support": [
        *view("bookings", *BOOKING_MODELS),
        "cancellations.view_cancellationrequest",
        "syncconnections.view_outlookconflict",
        *LOGS,
        *SIGN_INS,
        *API_AUDIT,
    ],
    # Sets up and repairs the Microsoft 365 and StayNTouch connections.
    "Integration admin": [
        *crud("syncconnections", "tenant", "syncconnection"),
        *view(
            "syncconnections",
            "outlookevent",
            "outboxentry",
            "syncrequest",
            "subscriptionrequest",
            "ignorednotification",
            "outlookconflict",
        ),
        "syncconnections.test_tenant",
        "syncconnections.validate_syncconnection",
        "syncconnections.activate_syncconnection",
        *crud("accounts_pms", "stayntouchsettings"),
        "accounts_pms.test_stayntouchsettings",
        "accounts_pms.sync_account",
        "accounts_pms.retry_callout",
        "errors.retry_syncerror",
        *view("bookings", *BOOKING_MODELS),
        "bookings.add_resource",  # importing a room from Microsoft 365 makes it one
        "bookings.change_resource",
        "bookings.change_staff",
        "bookings.change_account",
        "cancellations.view_cancellationrequest",
        *LOGS,
        *SIGN_INS,
        "axes.delete_accessattempt",
        # Makes the API clients of other systems, gives and rotates their secrets.
        *crud("api", "apiclient"),
        *API_AUDIT,
        *view("django_q", "schedule", "success", "failure", "ormq"),
    ],
}
