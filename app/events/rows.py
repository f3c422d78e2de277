"""Raw SQL on the event tables, with the ORM's own value conversions.

The relay and the consumer run a handful of statements for every delivery; building them with
the ORM cost more than running them (its query compilation took several times as long as the
statement itself on SQLite). So the hot paths write their SQL by hand, and use the models'
fields only to convert values: ``param`` adapts a Python value as the field would for a query,
``RowReader`` turns a result row back into Python values with the same converters the ORM
applies (SQLite returns datetimes and UUIDs as text, every backend returns JSON as text).
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

# Defined by Django only under psycopg 3 (the project's driver), so unknown to the type stubs.
from django.db.backends.postgresql.base import Cursor as ClientBindingCursor  # type: ignore[attr-defined]
from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
from django.db.backends.utils import CursorWrapper
from psycopg.pq import TransactionStatus

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def bookkeeping_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor for the event system's own statements (outbox, deliveries, inbox). They make
    no query span each: the events.* spans account for them, and the relay loop's polls would
    otherwise each start a trace of their own. Only PostgreSQL's driver is instrumented, so
    elsewhere this is the connection's plain cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    return _uninstrumented_cursor(connection)


def _uninstrumented_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """Django's own PostgreSQL cursor (the class its connection would make), made directly: the
    connection's cursor factory is OpenTelemetry's, whose wrapper around every statement costs,
    even when told to make no span, as much as the rest of the statement's client side (80 us
    of 170 for an inbox INSERT here). Otherwise as ``connection.cursor()``: connected first,
    wrapped for Django's error mapping, execute wrappers and, when logged, the query log."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    binding = connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    cursor = (ServerBindingCursor if binding else ClientBindingCursor)(connection.connection)
    connection.validate_thread_sharing()
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


def table(connection: BaseDatabaseWrapper, model: type[models.Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def param(connection: BaseDatabaseWrapper, model: type[models.Model], field: str, value: Any) -> Any:
    """``value`` as a query parameter for ``model.field`` on ``connection``."""
    return model._meta.get_field(field).get_db_prep_value(value, connection, prepared=False)  # type: ignore[union-attr]


def moment(connection: BaseDatabaseWrapper, value: datetime) -> Any:
    """An aware datetime as a query parameter: what ``DateTimeField.get_db_prep_value`` returns
    for one, without the field's checks for naive values (a third of a statement's cost here)."""
    return connection.ops.adapt_datetimefield_value(value)


def asynchronous_commit(connection: BaseDatabaseWrapper) -> str:
    """A FROM item that makes the current transaction commit asynchronously on PostgreSQL
    (``synchronous_commit`` off for that transaction alone; empty elsewhere). For bookkeeping
    whose loss in a database crash costs at most a re-send that the inbox absorbs, or one extra
    attempt: an asynchronous commit is visible to every session at once, it only does not wait
    for its WAL flush (the WAL writer flushes it within ``wal_writer_delay``, and any synchronous
    commit after it flushes it too). Only for a transaction of the caller's own: the setting
    lasts until the end of the transaction."""
    if connection.vendor != "postgresql":
        return ""
    return "(SELECT set_config('synchronous_commit', 'off', true)) AS commit_asynchronously"


def transaction_pending(connection: BaseDatabaseWrapper) -> bool:
    """Whether the atomic block ``connection`` is in has anything to commit: a statement run in
    it, or on-commit work. psycopg begins a PostgreSQL transaction only with the block's first
    statement; elsewhere (SQLite's BEGIN is sent when the block opens) any open block counts."""
    if connection.run_on_commit:
        return True
    if connection.vendor != "postgresql":
        return connection.in_atomic_block
    return bool(connection.connection.info.transaction_status != TransactionStatus.IDLE)


class RowReader:
    """Reads rows of ``columns`` of ``model``: ``reader.columns`` for the SELECT or RETURNING list,
    ``reader.read(connection, row)`` for the converted values, in that order."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self._fields: list[Any] = [model._meta.get_field(name) for name in columns]
        self.columns = ", ".join(field.column for field in self._fields)
        self._by_connection: WeakKeyDictionary[BaseDatabaseWrapper, list[tuple[int, Any, list[Converter]]]] = (
            WeakKeyDictionary()
        )

    def read(self, connection: BaseDatabaseWrapper, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, expression, converters in self._converters(connection):
            value = values[index]
            for convert in converters:
                value = convert(value, expression, connection)
            values[index] = value
        return values

    def _converters(self, connection: BaseDatabaseWrapper) -> list[tuple[int, Any, list[Converter]]]:
        """What the ORM's compiler applies to each column that needs it: the backend's
        converters, then the field's ``from_db_value``. Built once per connection."""
        converters = self._by_connection.get(connection)
        if converters is None:
            converters = []
            for index, field in enumerate(self._fields):
                expression = field.get_col(field.model._meta.db_table)
                found = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
                if found:
                    converters.append((index, expression, found))
            self._by_connection[connection] = converters
        return converters
