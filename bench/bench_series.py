"""Book a series of 180 occurrences from its pattern (bookings.series.book_series):
generation, the clash check, the insert and the announcements that queue it for Outlook.

Figures: wall time (median and worst of 5 series, each in a room of its own beside a room
holding 500 other reservations) and database queries, for 180 and for 18 occurrences.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from bench.counting import counting_queries

RUNS = 5


def run(folder: str) -> list[tuple[str, str]]:
    from django.db import connection

    from bookings.models import Location, Reservation, ReservationSeries, Resource
    from bookings.series import book_series

    location = Location.objects.create(name="Series HQ", time_zone="Europe/Amsterdam")
    busy = Resource.objects.create(location=location, name="Busy")
    first = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)
    Reservation.objects.bulk_create(
        Reservation(
            resource=busy,
            title=f"Meeting {n}",
            start=first + dt.timedelta(hours=n),
            end=first + dt.timedelta(hours=n, minutes=45),
        )
        for n in range(500)
    )

    def book(count: int, name: str) -> tuple[float, int]:
        room = Resource.objects.create(location=location, name=name)
        series = ReservationSeries(
            title="Stand-up",
            resource=room,
            recurrence={
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": "2027-01-04",
                    "numberOfOccurrences": count,
                },
            },
        )
        with counting_queries() as queries:
            began = time.perf_counter()
            booked = book_series(series, dt.time(9), dt.time(9, 15), 180)
            wall = time.perf_counter() - began
        assert len(booked.occurrences) == count
        return wall, queries.count

    large = [book(180, f"Room {n}") for n in range(RUNS)]
    small = book(18, "Small")
    walls = [wall for wall, _ in large]
    return [
        ("occurrences", "180"),
        (
            "wall time, median / worst of 5 (target < 1 s)",
            f"{statistics.median(walls) * 1000:.0f} / {max(walls) * 1000:.0f} ms",
        ),
        ("database queries, 180 occurrences", f"{large[-1][1]}"),  # warm, as the 18
        ("database queries, 18 occurrences", f"{small[1]}"),
        ("database", connection.vendor),
    ]
