"""List filters and columns of the log-like admins."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("429", [429]), ("4xx", [403, 404]), ("5xx", [500, 503]), ("none", [None])],
)
def test_sync_errors_filter_by_status_range(admin_client, choice, expected):
    for status in (None, 403, 404, 429, 500, 503):
        factories.SyncErrorFactory(status_code=status)

    response = admin_client.get(reverse("admin:errors_syncerror_changelist"), {"status": choice})

    assert sorted(e.status_code for e in response.context["cl"].result_list if e.status_code) == [
        s for s in expected if s
    ]
    assert len(response.context["cl"].result_list) == len(expected)


def test_cancellation_requests_show_the_outlook_organizer(admin_client):
    request = factories.CancellationRequestFactory(
        outlook_data={"organizer": {"emailAddress": {"address": "lisa@contoso.test"}}}
    )

    response = admin_client.get(reverse("admin:cancellations_cancellationrequest_changelist"))

    [row] = response.context["cl"].result_list
    assert row.pk == request.pk
    assert '<td class="field-organizer">lisa@contoso.test</td>' in response.content.decode()
