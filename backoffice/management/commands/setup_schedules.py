import datetime as dt
from typing import Any

from django.utils import timezone
from django_q.models import Schedule

from common.commands import QuietCommand

# name: (task function, minutes between runs). Each job is a catch-up job: it works off
# whatever is due, so a missed run is made good by the next.
EVERY_FEW_MINUTES = {
    "Push reservations to Outlook": ("syncconnections.tasks.push_outbound", 1),
    "Sync down requested connections": ("syncconnections.tasks.sync_pending", 1),
    "Send failure notification digests": ("errors.tasks.send_digests", 5),
    "Refresh live-sync subscriptions": ("syncconnections.tasks.refresh_subscriptions", 60),
    "Retry failed StayNTouch callouts": ("accounts_pms.tasks.retry_callouts", 5),
}
NIGHTLY = ("Nightly sync", "syncconnections.tasks.nightly_sync", dt.time(2, 0))


def next_at(time_of_day: dt.time) -> dt.datetime:
    now = timezone.localtime()
    run = now.replace(hour=time_of_day.hour, minute=time_of_day.minute, second=0, microsecond=0)
    return run if run > now else run + dt.timedelta(days=1)


class Command(QuietCommand):
    help = "Register the recurring background jobs (safe to run again: updates them in place)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, (func, minutes) in EVERY_FEW_MINUTES.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.say(f"{'Added' if created else 'Updated'}: {name} (every {minutes} min)")
        name, func, at = NIGHTLY
        schedule, created = Schedule.objects.get_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.DAILY,
                "repeats": -1,
                "next_run": next_at(at),
            },
        )
        if not created and (schedule.func, schedule.schedule_type) != (func, Schedule.DAILY):
            schedule.func, schedule.schedule_type = func, Schedule.DAILY
            schedule.save()
        self.say(f"{'Added' if created else 'Kept'}: {name} (daily at {at:%H:%M})")
