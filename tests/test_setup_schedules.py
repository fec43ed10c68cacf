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
        ("Purge old API audit entries and expired tokens", "api.tasks.purge_api_audit", "D", None),
        ("Purge old sign-in failures", "backoffice.tasks.purge_sign_in_failures", "D", None),
        ("Push reservations to Outlook", "syncconnections.tasks.push_outbound", "I", 1),
        ("Refresh live-sync subscriptions", "syncconnections.tasks.refresh_subscriptions", "I", 60),
        ("Retry failed StayNTouch callouts", "accounts_pms.tasks.retry_callouts", "I", 5),
        ("Send failure notification digests", "syncconnections.tasks.send_failure_digests", "I", 5),
        ("Sync down requested connections", "syncconnections.tasks.sync_pending", "I", 1),
    ]
    nightly = timezone.localtime(Schedule.objects.get(name="Nightly sync").next_run)
    assert (nightly.hour, nightly.minute) == (2, 0)


def test_an_upgrade_points_a_moved_job_where_it_lives_now():
    # Given the digests' schedule as an earlier release registered it
    Schedule.objects.create(
        name="Send failure notification digests",
        func="errors.tasks.send_digests",
        schedule_type=Schedule.MINUTES,
        minutes=5,
        repeats=-1,
    )

    # When the schedules are set up again
    call_command("setup_schedules")

    # Then the one schedule runs the job where it is now
    assert list(
        Schedule.objects.filter(name="Send failure notification digests").values_list(
            "func", flat=True
        )
    ) == ["syncconnections.tasks.send_failure_digests"]


def test_every_scheduled_job_is_a_function_the_cluster_finds():
    import importlib

    call_command("setup_schedules")

    for path in Schedule.objects.values_list("func", flat=True):
        module, name = path.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name)), path
