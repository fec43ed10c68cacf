"""The company log admin at 1,000,000 entries on PostgreSQL.

The log is filled as a year of inbound sync would leave it: 16 room mailboxes and one given
up after two months, people organising and attending with a skewed frequency, Graph-sized
event ids, the original Outlook data at 1–2 KB for created and updated entries; then
analysed. Timed with Django's test client as a logged-in superuser, after a warm-up: the
first page of the unfiltered list (target p95 < 150 ms), of a search for one attendee's
e-mail address within a 7-day date range (target p95 < 200 ms), and of other searches and
filters, with the database queries each page makes. Then what the indexes cost inbound sync:
10,000 entries written through common.bulk.insert (COPY, a page of 500 at a time) with the
indexes of migration 0005 and with those before it.

The fill drops the table's secondary indexes, inserts with generate_series and builds the
indexes again (the same definitions), which is minutes faster than growing them row by row.
The benchmark empties the company log table, and again at the end together with the rooms and
reservations it made, so the benchmarks after it find the table empty (as `make bench` gives
them the database).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from bench.counting import counting_queries

ROWS = 1_000_000
CHUNK = 100_000
ROOMS = 16
RESERVATIONS = 2_000
REQUESTS = 60
WARM_UP = 5
INSERT_ROWS = 10_000
INSERT_REPEATS = 5
# A person of the skewed pool who attends often, but not the most often (see PEOPLE_SQL).
SEARCHED_PERSON = 10
TABLE = "syncconnections_companylogentry"
TENANT = "Bench company log"
# A room given up two months into the year: common in the log, absent from its recent part.
RETIRED = "room.retired@bench-log.test"

FIRST_NAMES = (  # noqa: SIM905 (names read better as text than as 40 literals)
    "emma julia mila tess sophie zoe sara nora anna evi lotte fleur lisa eva noor yara "
    "liam noah luuk sem lucas daan finn levi milan bram jesse thijs sven max ruben lars "
    "tim thomas jan pieter kees joost mark femke"
).split()
LAST_NAMES = (  # noqa: SIM905
    "jansen devries bakker visser smit meijer mulder boer dijkstra bos vos peters hendriks "
    "dekker dejong vandijk vandenberg brouwer willems kok jacobs vermeulen schouten hoekstra "
    "vanleeuwen koster prins huisman kuipers vanbeek postma maas vink bosch graaf wouters "
    "verhoeven kramer sanders molenaar"
).split()
DOMAINS = (
    "contoso.com",
    "fabrikam.com",
    "northwindtraders.com",
    "adventure-works.com",
    "litware.nl",
    "tailspintoys.com",
)
PEOPLE = len(FIRST_NAMES) * len(LAST_NAMES) * len(DOMAINS)
TOPICS = (
    "Weekly sync",
    "Quarterly review",
    "Project kick-off",
    "1:1",
    "Interview",
    "Budget planning",
    "Sprint retrospective",
    "Customer call",
    "Board meeting",
    "Training",
    "Lunch & learn",
    "Design review",
    "All hands",
    "Sales pipeline",
    "Onboarding",
    "Vendor demo",
)
TEAMS = (
    "Finance",
    "Sales",
    "Marketing",
    "HR",
    "Legal",
    "IT",
    "Operations",
    "Facilities",
    "Product",
    "Support",
    "Engineering",
    "Procurement",
)
BODY = (
    "Hi all, as discussed last week we will go through the open items on the agenda and "
    "agree on next steps. Please bring the latest figures and any blockers you have run "
    "into. The meeting room has a screen and a conference phone; remote participants can "
    "join through the Teams link below. Agenda: 1. Welcome and introductions 2. Status of "
    "the running projects 3. Budget and forecast 4. Risks and mitigations 5. Any other "
    "business. If you cannot attend, let me know in advance and send a delegate. Coffee "
    "and tea will be available. Microsoft Teams meeting: join on your computer, mobile "
    "app or room device. Click here to join the meeting. Meeting ID: 372 991 228 104 "
    "Passcode: x7Ub2Q. Download Teams | Join on the web. Learn more | Meeting options. "
)


def run(folder: str) -> list[tuple[str, str]]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return [("skipped", "needs PostgreSQL (1,000,000 rows): set BENCH_DATABASE_URL")]
    fixture = Fixture.create()
    try:
        began = time.perf_counter()
        fill(fixture)
        fill_wall = time.perf_counter() - began
        return [
            ("company log entries", f"{ROWS:,} (filled in {fill_wall:.0f} s)"),
            *measure_pages(fixture),
            *measure_inserts(fixture),
            ("database", f"PostgreSQL {connection.pg_version // 10000}"),
        ]
    finally:
        fixture.remove()


class Fixture:
    """The rooms, reservations and superuser the entries belong to; removed afterwards."""

    def __init__(self, tenant: Any, rooms: list[Any], reservation_ids: list[int]) -> None:
        self.tenant = tenant
        self.rooms = rooms
        self.reservation_ids = reservation_ids

    @classmethod
    def create(cls) -> Fixture:
        from bookings.models import Direction, Location, Reservation, ReservationStatus, Resource
        from syncconnections.models import SyncConnection, Tenant, UserType

        remove_fixture()  # left by an interrupted run
        tenant = Tenant.objects.create(
            name=TENANT,
            directory_id="bench-company-log",
            client_id="bench-company-log",
            client_secret="s",
            email_domains="bench-log.test",
            sync_mode="inbound",
        )
        location = Location.objects.create(name=TENANT, time_zone="Europe/Amsterdam")
        rooms = []
        for n in range(ROOMS + 1):
            mailbox = RETIRED if n == ROOMS else f"room.{n:02d}@bench-log.test"
            resource = Resource.objects.create(
                location=location, name=f"Log room {n}", mailbox_email=mailbox
            )
            rooms.append(
                SyncConnection.objects.create(
                    tenant=tenant, user_id=mailbox, resource=resource, user_type=UserType.RESOURCE
                )
            )
        start = dt.datetime(2027, 1, 4, 8, tzinfo=dt.UTC)
        reservations = Reservation.objects.bulk_create(
            Reservation(
                resource=rooms[n % ROOMS].resource,
                title=f"Outlook meeting {n}",
                start=start + dt.timedelta(hours=n),
                end=start + dt.timedelta(hours=n, minutes=45),
                status=ReservationStatus.CONFIRMED,
                direction=Direction.INBOUND,
            )
            for n in range(RESERVATIONS)
        )
        return cls(tenant, rooms, [r.pk for r in reservations])

    def remove(self) -> None:
        remove_fixture()

    @property
    def ids(self) -> list[int]:
        return [room.pk for room in self.rooms]


def remove_fixture() -> None:
    from django.db import connection

    from bookings.models import Location, Reservation, Resource
    from syncconnections.models import SyncConnection, Tenant

    # By id and in SQL: the ORM would load the tenant and its connections, whose secrets
    # were encrypted with another run's key.
    tenants = list(Tenant.objects.filter(name=TENANT).values_list("pk", flat=True))
    rooms = list(SyncConnection.objects.filter(tenant__in=tenants).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")  # a million rows, deleted in a moment
        cursor.execute(f"DELETE FROM {SyncConnection._meta.db_table} WHERE id = ANY(%s)", [rooms])
        cursor.execute(f"DELETE FROM {Tenant._meta.db_table} WHERE id = ANY(%s)", [tenants])
    Reservation.objects.filter(resource__location__name=TENANT).delete()
    Resource.objects.filter(location__name=TENANT).delete()
    Location.objects.filter(name=TENANT).delete()


def sql_text_array(values: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def person_sql(index: str) -> str:
    """The e-mail address of person number `index` (an SQL expression) of the pool."""
    first, last = len(FIRST_NAMES), len(LAST_NAMES)
    return (
        f"(first_names[1 + mod({index}, {first})] || '.' || "
        f"last_names[1 + mod(({index}) / {first}, {last})] || '@' || "
        f"domains[1 + mod(({index}) / {first * last}, {len(DOMAINS)})])"
    )


def person_email(index: int) -> str:
    first, last = len(FIRST_NAMES), len(LAST_NAMES)
    return (
        f"{FIRST_NAMES[index % first]}.{LAST_NAMES[index // first % last]}"
        f"@{DOMAINS[index // (first * last) % len(DOMAINS)]}"
    )


# Uniform in [0, 1) from the event number and a salt, so that the entries of one event (its
# creation, updates, cancellation) agree on its organizer, attendees and subject.
def uniform(salt: int, key: str = "ev") -> str:
    return f"((hashint8(({key}) * 1000 + {salt}) & 2147483647)::float8 / 2147483648)"


# A skewed pool: person i is drawn with a probability falling as 1/sqrt(i), so a few people
# (assistants, team leads) appear in many meetings and most in a few.
def drawn_person(salt: str) -> str:
    return f"floor({PEOPLE} * power({uniform(0, salt)}, 2))::int"


FILL_SQL = f"""
WITH names AS (
    SELECT {sql_text_array(FIRST_NAMES)} AS first_names,
           {sql_text_array(LAST_NAMES)} AS last_names,
           {sql_text_array(DOMAINS)} AS domains,
           {sql_text_array(TOPICS)} AS topics,
           {sql_text_array(TEAMS)} AS teams,
           %(rooms)s::bigint[] AS rooms,
           %(mailboxes)s::text[] AS mailboxes,
           %(reservations)s::bigint[] AS reservations,
           %(body)s::text AS body
),
entries AS (
    SELECT g,
           g / 2 AS ev,
           %(began)s::timestamptz + g * %(step)s::interval AS created_at,
           CASE WHEN mod(g, 2) = 0 THEN 'created'
                WHEN {uniform(7, "g")} < 0.7 THEN 'updated'
                WHEN {uniform(7, "g")} < 0.9 THEN 'cancelled'
                ELSE 'deleted' END AS operation
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
),
events AS (
    SELECT e.*,
           CASE WHEN g < %(retired_until)s AND {uniform(12)} < 0.25 THEN {ROOMS + 1}
                ELSE 1 + mod(hashint8(ev * 1000 + 1) & 2147483647, {ROOMS}) END AS room,
           {person_sql(drawn_person("ev * 1000 + 2"))} AS organizer,
           (SELECT string_agg({person_sql(drawn_person("ev * 1000 + 10 + k"))}, ', ')
              FROM generate_series(1, 1 + floor({uniform(3)} * 6)::int) AS k) AS people,
           topics[1 + floor({uniform(4)} * {len(TOPICS)})::int] || ' – ' ||
               teams[1 + floor({uniform(5)} * {len(TEAMS)})::int] ||
               CASE WHEN {uniform(6)} < 0.3 THEN ' #' || mod(ev, 997)::text ELSE '' END
               AS subject,
           date_trunc('hour', created_at) + floor({uniform(8)} * 30 * 96) * interval '15 min'
               AS starts,
           (1 + floor({uniform(9)} * 6)::int) * interval '15 min' AS duration,
           'AAMkAG' || replace(encode(decode(
               md5(ev::text) || md5((ev + 1)::text || 'a') || md5((ev + 2)::text || 'b') ||
               md5((ev + 3)::text || 'c') || md5((ev + 4)::text || 'd') ||
               md5((ev + 5)::text || 'e'), 'hex'), 'base64'), E'\\n', '') AS event_id,
           floor({uniform(11)} * 400)::int AS body_from
    FROM entries e, names
)
INSERT INTO {TABLE} (
    created_at, sync_connection_id, reservation_id, operation, mailbox, organizer_email,
    attendee_emails, subject, start, "end", event_id, outlook_data
)
SELECT created_at,
       rooms[room],
       CASE WHEN operation <> 'deleted' AND mod(ev, 5) <> 0
            THEN reservations[1 + mod(ev, array_length(reservations, 1))] END,
       operation,
       mailboxes[room],
       organizer,
       organizer || ', ' || people || ', ' || mailboxes[room],
       subject,
       CASE WHEN operation <> 'deleted' THEN starts END,
       CASE WHEN operation <> 'deleted' THEN starts + duration END,
       event_id,
       CASE WHEN operation = 'deleted' THEN
           jsonb_build_object('id', event_id, '@removed', jsonb_build_object('reason', 'deleted'))
       WHEN operation = 'cancelled' THEN
           jsonb_build_object('id', event_id, 'subject', 'Canceled: ' || subject,
                              'isCancelled', true, 'changeKey', md5(g::text),
                              'organizer', jsonb_build_object('emailAddress',
                                  jsonb_build_object('address', organizer)))
       ELSE jsonb_build_object(
           'id', event_id,
           'iCalUId', '040000008200E00074C5B7101A82E00800000000' || md5(ev::text),
           'changeKey', replace(encode(decode(md5(g::text), 'hex'), 'base64'), E'\\n', ''),
           'subject', subject,
           'bodyPreview', substr(body, body_from, 255),
           'body', jsonb_build_object('contentType', 'html', 'content',
               '<html><body><p>' || substr(body, body_from + 100, 400)
               || '</p></body></html>'),
           'start', jsonb_build_object('dateTime', to_char(starts AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.0000000'), 'timeZone', 'UTC'),
           'end', jsonb_build_object('dateTime', to_char((starts + duration) AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.0000000'), 'timeZone', 'UTC'),
           'location', jsonb_build_object('displayName', 'Log room ' || (room - 1),
               'locationType', 'conferenceRoom', 'uniqueId', mailboxes[room]),
           'organizer', jsonb_build_object('emailAddress',
               jsonb_build_object('name', split_part(organizer, '@', 1), 'address', organizer)),
           'attendees', (SELECT jsonb_agg(jsonb_build_object(
                   'type', 'required', 'status', jsonb_build_object('response', 'none'),
                   'emailAddress', jsonb_build_object('address', a)))
               FROM unnest(string_to_array(people || ', ' || mailboxes[room], ', ')) AS a),
           'isCancelled', false, 'isAllDay', false, 'showAs', 'busy',
           'sensitivity', 'normal', 'importance', 'normal', 'type', 'singleInstance',
           'webLink', 'https://outlook.office365.com/owa/?itemid=' || event_id
               || '&exvsurl=1&path=/calendar/item',
           'createdDateTime', to_char(created_at AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.0000000Z'),
           'lastModifiedDateTime', to_char(created_at AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.0000000Z'))
       END
FROM events, names
"""


def fill(fixture: Fixture) -> None:
    """ROWS entries over the past year, in the order inbound sync writes them."""
    from django.db import connection, transaction

    now = dt.datetime.now(dt.UTC)
    began = now - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / ROWS
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [TABLE],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for first in range(0, ROWS, CHUNK):
            with transaction.atomic():
                cursor.execute(
                    FILL_SQL,
                    {
                        "rooms": fixture.ids,
                        "mailboxes": [room.user_id for room in fixture.rooms],
                        "reservations": fixture.reservation_ids,
                        "body": BODY,
                        "began": began,
                        "step": step,
                        "retired_until": ROWS // 6,
                        "first": first,
                        "last": first + CHUNK - 1,
                    },
                )
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute(f"VACUUM ANALYZE {TABLE}")


def measure_pages(fixture: Fixture) -> list[tuple[str, str]]:
    """The changelist's first page, as a superuser sees it, timed over REQUESTS requests."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from syncconnections.company_log import search
    from syncconnections.models import CompanyLogEntry

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # No collectstatic here: plain static URLs instead of the manifest's.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    user, _ = get_user_model().objects.get_or_create(
        username="bench-company-log", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:syncconnections_companylogentry_changelist")
    email = person_email(SEARCHED_PERSON)
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=7), today - dt.timedelta(days=1)
    week = {
        "created_at__range__gte": first.isoformat(),
        "created_at__range__lte": last.isoformat(),
    }
    in_week = search(
        CompanyLogEntry.objects.filter(created_at__date__range=(first, last)), email
    ).count()
    fragment = email.split("@")[0]
    rare = person_email(PEOPLE - 7)
    cases = [
        ("unfiltered list (target p95 < 150 ms)", {}, REQUESTS),
        (
            f"search {email} in 7 days ({in_week} entries; target p95 < 200 ms)",
            {"q": email, **week},
            REQUESTS,
        ),
        (f"search {fragment} (part of an address) in 7 days", {"q": fragment, **week}, 20),
        (f"search {email}, no date range", {"q": email}, 20),
        (f"search {rare} (seldom seen), no date range", {"q": rare}, 20),
        (f"search {fragment}, no date range", {"q": fragment}, 20),
        (f"search {RETIRED} (given up 10 months ago), no date range", {"q": RETIRED}, 10),
        ("operation filter (cancelled)", {"operation__exact": "cancelled"}, 20),
        ("connection filter", {"sync_connection__id__exact": fixture.ids[3]}, 20),
        ("operation filter (deleted) in 7 days", {"operation__exact": "deleted", **week}, 20),
    ]
    rows = []
    try:
        for label, params, requests in cases:
            times, queries, response = time_page(client, url, params, requests)
            cl = response.context_data["cl"]
            fell_back = "; gave up the first plan" if cl.paginator.walk_abandoned else ""
            rows += [
                (f"{label}: first page p50 / p95", summary(times)),
                (
                    f"{label}: queries, rows shown",
                    f"{queries}, {len(cl.result_list)} of {cl.paginator.count_text}{fell_back}",
                ),
            ]
        for label, params in (
            ("search an address in 7 days", {"q": email, **week}),
            ("search part of an address in 7 days", {"q": fragment, **week}),
        ):
            rows.append((f"{label}: scans of the page query", plan(client, url, params)))
    finally:
        user.delete()
    return rows


def time_page(client: Any, url: str, params: dict, requests: int) -> tuple[list[float], int, Any]:
    for _ in range(WARM_UP):
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
    with counting_queries() as counted:
        response = client.get(url, params)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(url, params)
        times.append((time.perf_counter() - began) * 1000)
    return times, counted.count, response


def plan(client: Any, url: str, params: dict) -> str:
    """The scans PostgreSQL chose for the page query of this list."""
    import re

    from django.db import connection

    statements: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        client.get(url, params)
    [(sql, values)] = [
        (sql, values)
        for sql, values in statements
        if sql.startswith(f'SELECT "{TABLE}"."id"') and "LIMIT" in sql
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", values)
        text = "\n".join(row[0] for row in cursor.fetchall())
    scans = re.findall(r"(?:Bitmap Index|Index|Index Only|Seq) Scan[^(]*", text)
    return "; ".join(dict.fromkeys(scan.strip() for scan in scans))


# The indexes of the company log before migration 0005, for the cost of inserts with them.
OLD_INDEXES = {
    "companylog_event_id_trgm": "USING gin ((UPPER(event_id::text)) gin_trgm_ops)",
    "companylog_organizer": "(organizer_email)",
    "companylog_mailbox": "(mailbox)",
    "syncconnections_companylogentry_sync_connection_id_35a0fedb": "(sync_connection_id)",
}
NEW_INDEX = "companylog_addresses_fts"  # added by migration 0005
PAGE = 500  # entries a delta page writes at once (syncconnections.inbound)


def measure_inserts(fixture: Fixture) -> list[tuple[str, str]]:
    """INSERT_ROWS entries through common.bulk.insert, a page at a time, with the indexes of
    migration 0005 and with those before it."""
    from django.db import connection

    entries = new_entries(fixture)
    timings: dict[str, list[float]] = {"now": [], "before": []}
    sizes = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [NEW_INDEX])
        (new_index,) = cursor.fetchone()
        sizes["now"] = index_size(cursor)
        try:
            for schema in ("now", "before"):
                if schema == "before":
                    cursor.execute("SET maintenance_work_mem = '512MB'")
                    for name, definition in OLD_INDEXES.items():
                        cursor.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")
                    cursor.execute(f"DROP INDEX {NEW_INDEX}")
                    sizes["before"] = index_size(cursor)
                for _ in range(INSERT_REPEATS):
                    timings[schema].append(insert_pages(cursor, entries))
        finally:
            drop_old_indexes(cursor)
            cursor.execute(new_index.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
    now, before = statistics.median(timings["now"]), statistics.median(timings["before"])
    return [
        (
            f"insert {INSERT_ROWS:,} entries, {PAGE} a COPY, before 0005 (+ event id trigram, "
            "organizer, mailbox, connection; − addresses full-text)",
            f"{before:.2f} s ({INSERT_ROWS / before:,.0f}/s)",
        ),
        (
            f"insert {INSERT_ROWS:,} entries, {PAGE} a COPY, now",
            f"{now:.2f} s ({INSERT_ROWS / now:,.0f}/s), {now / before:.0%} of before",
        ),
        (
            "indexes of the company log, before 0005 / now",
            f"{sizes['before'] / 2**20:,.0f} / {sizes['now'] / 2**20:,.0f} MB",
        ),
    ]


def drop_old_indexes(cursor: Any) -> None:
    for name in OLD_INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")


def index_size(cursor: Any) -> int:
    cursor.execute(
        "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index WHERE indrelid = %s::regclass",
        [TABLE],
    )
    return int(cursor.fetchone()[0])


def insert_pages(cursor: Any, entries: list[Any]) -> float:
    """Seconds to write the entries a page per transaction; they are removed again after."""
    from django.db import transaction

    from common import bulk

    cursor.execute(f"SELECT max(id) FROM {TABLE}")
    (last_id,) = cursor.fetchone()
    began = time.perf_counter()
    for first in range(0, len(entries), PAGE):
        with transaction.atomic():
            bulk.insert(entries[first : first + PAGE])
    seconds = time.perf_counter() - began
    cursor.execute(f"DELETE FROM {TABLE} WHERE id > %s", [last_id])
    cursor.execute(f"VACUUM {TABLE}")  # the next run starts from the same indexes
    return seconds


def new_entries(fixture: Fixture) -> list[Any]:
    """INSERT_ROWS entries as inbound sync makes them: Graph-sized ids, 1–2 KB of JSON."""
    import base64
    import random

    from syncconnections.models import CompanyLogEntry, LogOperation

    pick = random.Random(7)
    entries = []
    for n in range(INSERT_ROWS):
        room = fixture.rooms[n % ROOMS]
        organizer = person_email(int(PEOPLE * pick.random() ** 2))
        people = [person_email(int(PEOPLE * pick.random() ** 2)) for _ in range(pick.randint(1, 6))]
        event_id = "AAMkAG" + base64.b64encode(pick.randbytes(96)).decode()
        subject = f"{pick.choice(TOPICS)} – {pick.choice(TEAMS)}"
        start = dt.datetime(2027, 3, 1, 8, tzinfo=dt.UTC) + dt.timedelta(minutes=15 * n)
        entries.append(
            CompanyLogEntry(
                sync_connection=room,
                operation=LogOperation.CREATED,
                mailbox=room.user_id,
                organizer_email=organizer,
                attendee_emails=", ".join([organizer, *people, room.user_id]),
                subject=subject,
                start=start,
                end=start + dt.timedelta(hours=1),
                event_id=event_id,
                outlook_data={
                    "id": event_id,
                    "iCalUId": "040000008200E00074C5B7101A82E008" + pick.randbytes(16).hex(),
                    "changeKey": base64.b64encode(pick.randbytes(16)).decode(),
                    "subject": subject,
                    "bodyPreview": BODY[:255],
                    "body": {"contentType": "html", "content": f"<p>{BODY[100:500]}</p>"},
                    "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                    "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
                    "organizer": {"emailAddress": {"address": organizer}},
                    "attendees": [
                        {"type": "required", "emailAddress": {"address": a}} for a in people
                    ],
                    "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}",
                },
            )
        )
    return entries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {percentile(values, 0.95):.1f} ms"
