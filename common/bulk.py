"""Writing many new rows fast, for the tables that inbound sync fills by the page.

On PostgreSQL the rows go in with COPY: several times cheaper than a multi-row INSERT, whose
statement Django compiles value by value. Values are still prepared by the model's own fields
(defaults, auto_now_add, JSON, encryption), except for field types whose Python values the
database driver takes as they are; the model stays the one description of the table. Rows
written this way send no signals, and get primary keys only when asked for (taken from the
table's sequence first, one query).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

# Exactly these types (not subclasses, which may encrypt or convert): the driver adapts their
# values (str, int, bool, UUID, None) itself.
PLAIN_FIELDS = (
    models.CharField,
    models.EmailField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.UUIDField,
    models.ForeignKey,
)

Prepare = Callable[[dict[str, Any]], Any]


def insert(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """Insert new instances of one model (without primary keys) in one statement; with_ids
    gives each instance its primary key, as save() would."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.using(connection.alias).bulk_create(objs)
        return
    if with_ids:
        _take_ids(objs, connection)
    _copy(model, connection, [obj.__dict__ for obj in objs], with_ids=with_ids)


def insert_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
    """insert() for rows given as {field attname: value}, without the cost of building model
    instances; a field left out takes its default. The rows may be made as they are read: on
    PostgreSQL the database stores each batch sent while the next ones are made."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.using(connection.alias).bulk_create([model(**r) for r in rows])
        return
    _copy(model, connection, rows, with_ids=False)


def _copy(
    model: type[models.Model],
    connection: BaseDatabaseWrapper,
    rows: Iterable[dict[str, Any]],
    *,
    with_ids: bool,
) -> None:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    now = timezone.now()
    prepares = [_preparer(field, connection, now) for field in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for values in rows:
            copy.write_row([prepare(values) for prepare in prepares])


def _take_ids(objs: Sequence[models.Model], connection: BaseDatabaseWrapper) -> None:
    meta = type(objs[0])._meta
    sequence = _sequence(connection.alias, meta.db_table, meta.pk.column)
    with connection.cursor() as cursor:
        # The sequence named as a constant: a name looked up in the query itself would be
        # looked up again for every key (five times slower).
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, len(objs)]
        )
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


@functools.cache
def _sequence(alias: str, table: str, column: str) -> str:
    """The sequence that gives the column its values (a serial or identity column)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        return cursor.fetchone()[0]


def _preparer(field: models.Field, connection: BaseDatabaseWrapper, now: Any) -> Prepare:
    """How one field's value is read from an instance's (or a row's) values into a COPY row;
    a missing value is the field's default, and auto_now(_add) is one moment for the batch,
    written back as save() would."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        if type(field) is not models.DateTimeField:
            raise TypeError(f"{field}: only DateTimeField may be auto_now in a bulk insert")

        def stamp(values: dict[str, Any]) -> Any:
            values[attname] = now
            return now

        return stamp
    if isinstance(field, models.FileField):
        raise TypeError(f"{field}: file fields are not written by a bulk insert")

    if field.has_default() and callable(field.default):  # a new value each time (dict, uuid4)

        def value_of(values: dict[str, Any]) -> Any:
            return values[attname] if attname in values else field.get_default()

    else:
        default = field.get_default()  # a constant: found once for the batch

        def value_of(values: dict[str, Any]) -> Any:
            return values.get(attname, default)

    if type(field) in PLAIN_FIELDS or field.primary_key:
        return value_of
    if type(field) is models.DateTimeField:
        # An aware datetime goes as it is; a naive one gets Django's own conversion.
        return lambda values: (
            value
            if (value := value_of(values)) is None or value.tzinfo is not None
            else field.get_db_prep_save(value, connection)
        )
    if type(field) is models.JSONField:
        encoder = field.encoder
        # COPY reads the text form of jsonb: the driver's adapter would only do this slower.
        return lambda values: (
            None if (value := value_of(values)) is None else json.dumps(value, cls=encoder)
        )
    return lambda values: field.get_db_prep_save(value_of(values), connection)
