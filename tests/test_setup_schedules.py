import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

pytestmark = pytest.mark.django_db


def test_schedules_are_registered_once():
    call_command("setup_schedules")
    call_command("setup_schedules")

    assert sorted(Schedule.objects.values_list("name", "func", "schedule_type", "minutes")) == [
        ("Nightly sync", "syncconnections.tasks.nightly_sync", "D", None),
        ("Push reservations to Outlook", "syncconnections.tasks.push_outbound", "I", 1),
        ("Refresh live-sync subscriptions", "syncconnections.tasks.refresh_subscriptions", "I", 60),
        ("Retry failed StayNTouch callouts", "accounts_pms.tasks.retry_callouts", "I", 5),
        ("Send failure notification digests", "syncconnections.tasks.send_failure_digests", "I", 5),
        ("Sync down requested connections", "syncconnections.tasks.sync_pending", "I", 1),
    ]
    nightly = timezone.localtime(Schedule.objects.get(name="Nightly sync").next_run)
    assert (nightly.hour, nightly.minute) == (2, 0)
