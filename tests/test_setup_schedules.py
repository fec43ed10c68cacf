import pytest
from django.core.management import call_command
from django_q.models import Schedule

pytestmark = pytest.mark.django_db


def test_schedules_are_registered_once():
    call_command("setup_schedules")
    call_command("setup_schedules")

    assert sorted(Schedule.objects.values_list("name", "func", "minutes")) == [
        ("Push reservations to Outlook", "syncconnections.tasks.push_outbound", 1),
        ("Send failure notification digests", "errors.tasks.send_digests", 5),
    ]
