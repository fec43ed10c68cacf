"""Every admin page of the project's models renders, and changelists have no N+1 queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts_pms.models import (
    PostingAccount,
    RoverAccountLink,
    StayNTouchRequest,
    StayNTouchSettings,
)
from api.models import ApiAuditEntry, ApiClient
from bookings.models import (
    Account,
    Location,
    Reservation,
    ReservationSeries,
    Resource,
    Service,
    ServiceReservation,
    Staff,
)
from cancellations.models import CancellationRequest
from errors.models import SyncError
from syncconnections.models import (
    CompanyLogEntry,
    IgnoredNotification,
    OutboxEntry,
    OutlookConflict,
    OutlookEvent,
    SubscriptionRequest,
    SyncConnection,
    SyncRequest,
    Tenant,
)
from tests import factories

FACTORIES = {
    Location: factories.LocationFactory,
    Resource: factories.ResourceFactory,
    Staff: factories.StaffFactory,
    Account: factories.AccountFactory,
    Service: factories.ServiceFactory,
    ReservationSeries: factories.ReservationSeriesFactory,
    Reservation: factories.ReservationFactory,
    ServiceReservation: factories.ServiceReservationFactory,
    Tenant: factories.TenantFactory,
    SyncConnection: factories.SyncConnectionFactory,
    CompanyLogEntry: factories.CompanyLogEntryFactory,
    SyncError: factories.SyncErrorFactory,
    CancellationRequest: factories.CancellationRequestFactory,
    OutlookConflict: factories.OutlookConflictFactory,
    StayNTouchSettings: factories.StayNTouchSettingsFactory,
    RoverAccountLink: factories.RoverAccountLinkFactory,
    PostingAccount: factories.PostingAccountFactory,
    StayNTouchRequest: factories.StayNTouchRequestFactory,
    OutlookEvent: factories.OutlookEventFactory,
    OutboxEntry: factories.OutboxEntryFactory,
    SyncRequest: factories.SyncRequestFactory,
    SubscriptionRequest: factories.SubscriptionRequestFactory,
    IgnoredNotification: factories.IgnoredNotificationFactory,
    ApiClient: factories.ApiClientFactory,
    ApiAuditEntry: factories.ApiAuditEntryFactory,
}

# Written only by the system: no add page.
NO_ADD_PAGE = {
    CompanyLogEntry,
    SyncError,
    StayNTouchRequest,
    RoverAccountLink,
    PostingAccount,
    CancellationRequest,
    OutlookConflict,
    OutlookEvent,
    OutboxEntry,
    SyncRequest,
    SubscriptionRequest,
    IgnoredNotification,
    ApiAuditEntry,
}

PROJECT_APPS = {"bookings", "syncconnections", "errors", "cancellations", "accounts_pms", "api"}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_project_model_is_in_the_admin_and_has_a_factory():
    registered = {m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS}
    assert registered == set(FACTORIES)


@pytest.mark.parametrize("model", FACTORIES, ids=lambda m: m._meta.label)
def test_changelist_lists_the_row(admin_client, model):
    obj = FACTORIES[model]()

    response = admin_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert url(model, "change", obj.pk) in response.content.decode()


@pytest.mark.parametrize("model", FACTORIES, ids=lambda m: m._meta.label)
def test_change_page_renders(admin_client, model):
    obj = FACTORIES[model]()

    response = admin_client.get(url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model", FACTORIES, ids=lambda m: m._meta.label)
def test_add_page(admin_client, model):
    response = admin_client.get(url(model, "add"))

    assert response.status_code == (403 if model in NO_ADD_PAGE else 200)


@pytest.mark.parametrize(
    "model",
    [m for m in FACTORIES if m is not StayNTouchSettings],  # a singleton has one row
    ids=lambda m: m._meta.label,
)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    FACTORIES[model]()
    changelist = url(model, "changelist")
    admin_client.get(changelist)  # warm the session and content-type caches

    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(changelist).status_code == 200
    FACTORIES[model].create_batch(49)
    with CaptureQueriesContext(connection) as fifty_rows:
        response = admin_client.get(changelist)

    assert response.context["cl"].result_count == 50
    assert len(fifty_rows) == len(one_row), [q["sql"] for q in fifty_rows.captured_queries]
