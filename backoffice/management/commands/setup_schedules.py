import datetime as dt
import importlib.util
from typing import Any

from django.apps import apps
from django.utils import timezone
from django_q.models import Schedule

from common.commands import QuietCommand
from common.task_queue import Recurring


def recurring_jobs() -> list[Recurring]:
    """Every installed app's SCHEDULES, from its tasks.py."""
    jobs = []
    for app in apps.get_app_configs():
        if importlib.util.find_spec(f"{app.name}.tasks") is not None:
            jobs += getattr(importlib.import_module(f"{app.name}.tasks"), "SCHEDULES", [])
    return jobs


def next_at(time_of_day: dt.time) -> dt.datetime:
    now = timezone.localtime()
    run = now.replace(hour=time_of_day.hour, minute=time_of_day.minute, second=0, microsecond=0)
    return run if run > now else run + dt.timedelta(days=1)


class Command(QuietCommand):
    help = "Register the recurring background jobs (safe to run again: updates them in place)."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in recurring_jobs():
            if job.daily_at is None:
                self.every_few_minutes(job)
            else:
                self.daily(job)

    def every_few_minutes(self, job: Recurring) -> None:
        _, created = Schedule.objects.update_or_create(
            name=job.name,
            defaults={
                "func": job.path,
                "schedule_type": Schedule.MINUTES,
                "minutes": job.minutes,
                "repeats": -1,
            },
        )
        self.say(f"{'Added' if created else 'Updated'}: {job.name} (every {job.minutes} min)")

    def daily(self, job: Recurring) -> None:
        # Its next run is kept: an admin may have moved it.
        schedule, created = Schedule.objects.get_or_create(
            name=job.name,
            defaults={
                "func": job.path,
                "schedule_type": Schedule.DAILY,
                "repeats": -1,
                "next_run": next_at(job.daily_at),
            },
        )
        if not created and (schedule.func, schedule.schedule_type) != (job.path, Schedule.DAILY):
            schedule.func, schedule.schedule_type = job.path, Schedule.DAILY
            schedule.save()
        self.say(f"{'Added' if created else 'Kept'}: {job.name} (daily at {job.daily_at:%H:%M})")
