from typing import Any

from django_q.models import Schedule

from config.commands import QuietCommand

# name: (task function, minutes between runs). Each job is a catch-up job: it works off
# whatever is due, so a missed run is made good by the next.
SCHEDULES = {
    "Push reservations to Outlook": ("syncconnections.tasks.push_outbound", 1),
    "Send failure notification digests": ("errors.tasks.send_digests", 5),
}


class Command(QuietCommand):
    help = "Register the recurring background jobs (safe to run again: updates them in place)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, (func, minutes) in SCHEDULES.items():
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
