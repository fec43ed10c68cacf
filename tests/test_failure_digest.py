"""Failure notifications: at most one digest per tenant per 15 minutes, listing new errors."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from errors.models import SyncError
from syncconnections.failure_digests import send_failure_digests
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return factories.TenantFactory(
        name="Contoso", failure_notification_emails="ops@contoso.test, it@contoso.test"
    )


def test_new_errors_are_sent_once_to_the_tenant_addresses(tenant, settings):
    connection = factories.SyncConnectionFactory(tenant=tenant, user_id="room.a@contoso.test")
    error = factories.SyncErrorFactory(
        sync_connection=connection,
        stage="create event",
        status_code=403,
        error_message="Access is denied.",
    )
    factories.SyncErrorFactory()  # another tenant's, which has no addresses

    assert send_failure_digests() == 1
    assert send_failure_digests() == 0

    [message] = mail.outbox
    assert message.to == ["ops@contoso.test", "it@contoso.test"]
    assert message.subject == "Bookbridge: 1 new sync error for Contoso"
    assert "Create / create event 403: Access is denied." in message.body
    assert f"{settings.PUBLIC_BASE_URL}/admin/errors/syncerror/{error.pk}/change/" in message.body
    assert SyncError.objects.get(pk=error.pk).notified_at is not None


def test_at_most_one_digest_per_quarter_hour(tenant):
    connection = factories.SyncConnectionFactory(tenant=tenant)
    factories.SyncErrorFactory(sync_connection=connection)
    send_failure_digests()
    factories.SyncErrorFactory(sync_connection=connection)

    assert send_failure_digests() == 0
    tenant.last_failure_digest_at = timezone.now() - dt.timedelta(minutes=16)
    tenant.save()
    assert send_failure_digests() == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "Bookbridge: 1 new sync error for Contoso"
