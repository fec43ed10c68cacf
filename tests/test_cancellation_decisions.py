"""Back office decides cancellation requests in the admin: Cancel, Keep, Get status info.

A reservation is pushed to a room's sandbox calendar, an Outlook user cancels or deletes the
event, Sync Down turns that into a request; then a person decides it."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from bookings.models import Reservation, ReservationStatus
from cancellations.models import CancellationRequest
from syncconnections.models import OutlookEvent, SyncMode
from tests import factories
from tests.helpers import member_of, messages_of
from tests.sync_helpers import (
    at,
    cancelled_in_outlook,
    graph_calls,
    graph_writes,
    last_request_id,
)

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cancellations_cancellationrequest_changelist")


def run_action(client, action, *requests, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [r.pk for r in requests], **extra},
        follow=True,
    )


def test_approve_asks_first_then_cancels_and_records_who(sandbox, room, client):
    request, event_id = cancelled_in_outlook(sandbox, room)
    user = member_of("Back office")
    client.force_login(user)
    since = last_request_id(sandbox)

    confirmation = run_action(client, "approve", request)
    request.refresh_from_db()
    state_after_asking = request.state
    response = run_action(client, "approve", request, post="yes")

    assert confirmation.templates[0].name.endswith("approve_confirmation.html")
    assert "Quarterly review" in confirmation.content.decode()
    assert state_after_asking == "pending"
    request.refresh_from_db()
    reservation = Reservation.objects.get()
    assert reservation.status == ReservationStatus.CANCELLED
    assert (request.state, request.decided_by) == ("approved", user)
    assert request.decided_at is not None
    assert not OutlookEvent.objects.filter(event_id=event_id).exists()
    assert graph_writes(sandbox, since) == []  # the event is gone already: nothing to delete
    assert messages_of(response) == [f"Cancelled {reservation}."]


def test_approving_twice_changes_nothing_the_second_time(sandbox, room, client):
    request, _ = cancelled_in_outlook(sandbox, room)
    user = member_of("Back office")
    client.force_login(user)
    run_action(client, "approve", request, post="yes")
    request.refresh_from_db()
    decided_at = request.decided_at

    response = run_action(client, "approve", request, post="yes")

    request.refresh_from_db()
    assert request.decided_at == decided_at
    [message] = messages_of(response)
    assert message.startswith(
        f"Nothing done: this request was already approved (reservation "
        f"cancelled) by {user.username} at "
    )


def test_a_reservation_changed_since_detection_is_not_cancelled_blindly(sandbox, room, client):
    request, _ = cancelled_in_outlook(sandbox, room)
    reservation = Reservation.objects.get()
    reservation.start, reservation.end = at(7, 14), at(7, 15)
    reservation.save()
    client.force_login(member_of("Back office"))

    confirmation = run_action(client, "approve", request)
    refused = run_action(client, "approve", request, post="yes")
    reservation.refresh_from_db()
    status_after_refusal = reservation.status
    approved = run_action(client, "approve", request, post="yes", despite_changes=[str(request.pk)])

    page = confirmation.content.decode()
    assert "Changed since the cancellation was detected" in page
    assert "start: Dec. 7, 2026, 10 a.m. → Dec. 7, 2026, 2 p.m." in page  # the room's zone
    assert status_after_refusal == ReservationStatus.CONFIRMED
    assert messages_of(refused) == [
        f"Not cancelled: {reservation} changed since the cancellation was detected "
        "(start: Dec. 7, 2026, 10 a.m. → Dec. 7, 2026, 2 p.m.; "
        "end: Dec. 7, 2026, 11 a.m. → Dec. 7, 2026, 3 p.m.). Re-check it in Outlook "
        "(“Get status info”), then approve it again, confirming the changes."
    ]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert messages_of(approved) == [f"Cancelled {reservation}."]


def test_bulk_approval_lists_what_will_be_cancelled_and_skips_decided_ones(sandbox, room, client):
    first, _ = cancelled_in_outlook(sandbox, room)
    second = factories.CancellationRequestFactory(reservation__title="Board dinner")
    decided = factories.CancellationRequestFactory(
        reservation__title="Old one", state="rejected", decided_at=at(1, 9)
    )
    client.force_login(member_of("Back office"))

    confirmation = run_action(client, "approve", first, second, decided)
    run_action(client, "approve", first, second, decided, post="yes")

    rows = confirmation.context["rows"]
    assert [row["request"].pk for row in rows] == [first.pk, second.pk, decided.pk]
    assert [row["request"].pk for row in confirmation.context["pending"]] == [first.pk, second.pk]
    assert "Yes, cancel 2 reservations" in confirmation.content.decode()
    assert dict(CancellationRequest.objects.values_list("pk", "state")) == {
        first.pk: "approved",
        second.pk: "approved",
        decided.pk: "rejected",
    }
    assert set(Reservation.objects.values_list("title", "status")) == {
        ("Quarterly review", "cancelled"),
        ("Board dinner", "cancelled"),
        ("Old one", "confirmed"),
    }


def test_keep_puts_the_event_back_in_outlook(sandbox, room, client):
    request, old_event_id = cancelled_in_outlook(sandbox, room)
    user = member_of("Back office")
    client.force_login(user)
    since = last_request_id(sandbox)

    response = run_action(client, "keep", request)

    request.refresh_from_db()
    reservation = Reservation.objects.get()
    assert (request.state, request.decided_by) == ("rejected", user)
    assert reservation.status == ReservationStatus.CONFIRMED
    # The old (deleted) event's link is dropped with a DELETE, a new event is made.
    assert graph_writes(sandbox, since) == [
        ("DELETE", f"/v1.0/users/{room.user_id}/events/{old_event_id}"),
        ("POST", f"/v1.0/users/{room.user_id}/calendars/{room.calendar_id}/events"),
    ]
    [event] = sandbox.events(room.user_id)
    link = OutlookEvent.objects.get(reservation=reservation)
    assert link.event_id == event["id"] != old_event_id
    assert event["subject"] == "Quarterly review"
    assert messages_of(response) == [f"Kept {reservation}; its event is being put back in Outlook."]


def test_keep_leaves_outlook_alone_when_the_tenant_syncs_inbound_only(sandbox, room, client):
    request, _ = cancelled_in_outlook(sandbox, room)
    room.tenant.sync_mode = SyncMode.INBOUND
    room.tenant.save()
    client.force_login(member_of("Back office"))
    since = last_request_id(sandbox)

    response = run_action(client, "keep", request)

    reservation = Reservation.objects.get()
    assert CancellationRequest.objects.get().state == "rejected"
    assert graph_writes(sandbox, since) == []
    assert sandbox.events(room.user_id) == []
    assert messages_of(response) == [
        f"Kept {reservation}. This calendar is not written to (inbound sync or inactive), "
        "so Outlook is left as it is."
    ]


@pytest.mark.parametrize(
    ("how", "status_line"),
    [("delete", "Deleted in Outlook"), ("cancel", "Cancelled in Outlook")],
)
def test_get_status_info_reads_outlook_and_changes_nothing(sandbox, room, client, how, status_line):
    request, event_id = cancelled_in_outlook(sandbox, room, how)
    client.force_login(member_of("Back office"))
    since = last_request_id(sandbox)

    response = run_action(client, "get_status_info", request)

    assert graph_calls(sandbox, since) == [("GET", f"/v1.0/users/{room.user_id}/events/{event_id}")]
    assert status_line in response.content.decode()
    request.refresh_from_db()
    assert request.state == "pending"
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED


def test_get_status_info_shows_a_graph_failure_in_place(sandbox, room, client):
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    sandbox.fault(f"/users/{room.user_id}/events/", status=403, times=1)
    client.force_login(member_of("Back office"))

    response = run_action(client, "get_status_info", request)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Could not be checked. Microsoft Graph answered: 403" in page


def test_the_change_page_offers_the_decisions_only_while_pending(client):
    pending = factories.CancellationRequestFactory()
    decided = factories.CancellationRequestFactory(state="approved", decided_at=at(1, 9))
    client.force_login(member_of("Back office"))

    def buttons(request):
        url = reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
        return [name for name, _ in client.get(url).context["object_actions"]]

    assert buttons(pending) == ["approve", "keep", "get_status_info"]
    assert buttons(decided) == ["get_status_info"]


def test_support_sees_requests_but_cannot_decide_them(client):
    request = factories.CancellationRequestFactory()
    client.force_login(member_of("Support"))

    listing = client.get(CHANGELIST)
    change = client.get(
        reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
    )
    forged = run_action(client, "approve", request, post="yes")
    forged_button = client.post(
        reverse("admin:cancellations_cancellationrequest_run", args=[request.pk, "approve"]),
        {"post": "yes"},
    )

    assert listing.status_code == 200
    assert listing.context["action_form"] is None  # no action this role may run
    assert change.context["object_actions"] == []
    assert forged.status_code == 200
    assert forged_button.status_code == 403
    request.refresh_from_db()
    assert request.state == "pending"
    assert request.reservation.status != ReservationStatus.CANCELLED


def test_the_list_shows_pending_requests_first(client):
    old_pending = factories.CancellationRequestFactory()
    decided = factories.CancellationRequestFactory(state="approved", decided_at=at(1, 9))
    new_pending = factories.CancellationRequestFactory()
    client.force_login(member_of("Support"))

    response = client.get(CHANGELIST)

    shown_order = [r.pk for r in response.context["cl"].result_list]
    assert shown_order == [new_pending.pk, old_pending.pk, decided.pk]


def test_deciding_a_request_whose_reservation_was_deleted_says_so(client):
    from cancellations import decisions

    request = factories.CancellationRequestFactory()
    user = member_of("Back office")
    Reservation.objects.filter(pk=request.reservation_id).delete()

    outcome = decisions.approve(request, user)

    assert (outcome.done, outcome.message) == (
        False,
        "Nothing done: this request no longer exists.",
    )


def test_keep_with_the_connection_removed_leaves_outlook_alone(client):
    from cancellations import decisions

    request = factories.CancellationRequestFactory(sync_connection=None)

    outcome = decisions.keep(request, member_of("Back office"))

    assert outcome.message == (
        f"Kept {request.reservation}. Its calendar's connection was removed, so Outlook is "
        "left as it is."
    )
    request.refresh_from_db()
    assert request.state == "rejected"


def test_status_info_shows_request_reservation_and_event_side_by_side_with_the_decisions(
    sandbox, room, client
):
    """In the room's time zone (Amsterdam, UTC+1 in winter), as the admin writes times, and
    Cancel and Keep right there for who may decide."""
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    reservation = request.reservation
    Reservation.objects.filter(pk=reservation.pk).update(
        start=dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.UTC),
    )
    client.force_login(member_of("Back office"))

    response = run_action(client, "get_status_info", request)

    row = response.context["results"][0]
    assert (row["reservation_start"], row["reservation_end"]) == (
        "Dec. 9, 2026, 10 a.m.",
        "Dec. 9, 2026, 11 a.m.",
    )
    assert "UTC" not in row["start"] and "T" not in row["start"]
    assert row["time_zone"] == "Europe/Amsterdam"
    page = response.content.decode()
    for side in ("The request", "The reservation now", "Outlook's event now"):
        assert f"<h3>{side}</h3>" in page
    change = reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
    assert f'<h2 class="bb-status-title"><a href="{change}">' in page
    run = reverse("admin:cancellations_cancellationrequest_run", args=[request.pk, "approve"])
    assert f'action="{run}"' in page
    assert f'action="{run.replace("approve", "keep")}"' in page


def test_status_info_offers_no_decision_to_who_may_only_look(sandbox, room, client):
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    user = factories.UserFactory(username="looker")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_cancellationrequest", "get_status_info_cancellationrequest"]
        )
    )
    client.force_login(user)

    response = run_action(client, "get_status_info", request)

    assert response.context["decisions"] == []
    assert "/run/approve/" not in response.content.decode()


def test_a_get_on_an_action_address_goes_back_to_the_request_and_says_so(client):
    request = factories.CancellationRequestFactory()
    client.force_login(member_of("Back office"))
    run = reverse("admin:cancellations_cancellationrequest_run", args=[request.pk, "approve"])

    response = client.get(run, follow=True)

    change = reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
    assert response.redirect_chain == [(change, 302)]
    assert messages_of(response) == ["Nothing was done: actions run from their buttons only."]
    request.refresh_from_db()
    assert request.state == "pending"


def test_the_reservation_when_detected_is_in_the_room_s_time_zone(client):
    request = factories.CancellationRequestFactory(
        reservation_snapshot={
            "title": "Board meeting",
            "start": "2026-12-09T09:00:00+00:00",
            "end": "2026-12-09T10:30:00+00:00",
            "status": "confirmed",
            "resource_id": 1,
        },
        reservation__resource__location__time_zone="Europe/Amsterdam",
    )
    client.force_login(member_of("Back office"))

    page = client.get(
        reverse("admin:cancellations_cancellationrequest_change", args=[request.pk])
    ).content.decode()

    assert '<div class="bb-snapshot-row"><span>Start</span> Dec. 9, 2026, 10 a.m.</div>' in page
    assert '<div class="bb-snapshot-row"><span>End</span> Dec. 9, 2026, 11:30 a.m.</div>' in page
    assert "09:00:00+00:00" not in page


def test_a_snapshot_kept_in_another_zone_is_not_a_change(sandbox, room, client):
    """The demo's request, made from a reservation still holding Amsterdam times, must not
    read as changed when the reservation comes back from the database in UTC."""
    request, _ = cancelled_in_outlook(sandbox, room, "cancel")
    reservation = Reservation.objects.get(pk=request.reservation_id)
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    CancellationRequest.objects.filter(pk=request.pk).update(
        reservation_snapshot={
            **request.reservation_snapshot,
            "start": reservation.start.astimezone(amsterdam).isoformat(),
            "end": reservation.end.astimezone(amsterdam).isoformat(),
        }
    )
    client.force_login(member_of("Back office"))

    approved = run_action(client, "approve", request, post="yes")

    assert messages_of(approved) == [f"Cancelled {reservation}."]
