"""Set-based writes, and several owners' writes sent in one round trip.

Each app writes only its own tables, but one business step often writes rows of two owners
(allocation: inventory's rows, then the order lines' status and the order's event). Each owner
builds its own `Statement`; `execute_together` sends them as one PostgreSQL statement
(data-modifying CTEs), so splitting a write by owner costs no extra round trip. Where one
owner's write reads another's (a job's batch), each owner builds its `Step`s and `run_steps`
sends them as one statement.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection
from django.db.models import Lookup
from django.db.models.lookups import In
from django.db.models.query import get_related_populators

DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for "deadlock detected"


def retry_on_deadlock(func: Callable, attempts: int = 3) -> Callable:
    """Run `func` (itself `@transaction.atomic`) again when PostgreSQL broke a deadlock by
    aborting it, as PostgreSQL's manual advises: the aborted attempt left nothing behind.

    Only where `func` is the outermost transaction: inside a caller's transaction the caller's
    work is lost with it, so the error goes up. Not for steps with outside effects (a payment).
    """

    @functools.wraps(func)
    def run(*args, **kwargs):
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK or attempt == attempts:
                    raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)  # let the other one finish
        raise AssertionError("unreachable")  # pragma: no cover

    return run


@dataclass(frozen=True)
class Statement:
    """One INSERT/UPDATE/DELETE (no RETURNING, `%s` parameters) and the same write through the
    ORM, for databases other than PostgreSQL (SQLite in development)."""

    sql: str
    params: list
    orm: Callable[[], object]


def execute_together(statements: Iterable[Statement | None]) -> None:
    """Run these statements in one round trip on PostgreSQL (`None`s are skipped). They see one
    snapshot: none may depend on another's effect, and no row may be written by two of them."""
    statements = [s for s in statements if s is not None]
    if not statements:
        return
    if connection.vendor != "postgresql":
        for statement in statements:
            statement.orm()
        return
    if len(statements) == 1:
        sql = statements[0].sql
    else:
        parts = ", ".join(f"w{i} AS ({s.sql} RETURNING 1)" for i, s in enumerate(statements))
        sql = f"WITH {parts} SELECT 1"
    with connection.cursor() as cur:
        cur.execute(sql, [p for s in statements for p in s.params])


@dataclass(frozen=True)
class Step:
    """One named part of a statement that several owners build together (`run_steps`): a
    read, or a write (data-modifying) of the tables of the app that builds it. Its SQL (`%s`
    parameters) may read the steps before it by name."""

    name: str
    sql: str
    params: list = field(default_factory=list)


def in_step(column: str, step: str) -> str:
    """`= ANY(ARRAY(SELECT column FROM step))`: SQL matching the ids an earlier step gives, for
    a step that finds rows by them. PostgreSQL walks the index once with the ids sorted, where
    it planned a join or `IN (SELECT ...)` of the step as one probe per row (a stale-sweep
    batch of 5,000 lines: the whole sweep took about 5% longer that way)."""
    return f"= ANY(ARRAY(SELECT {column} FROM {step}))"


def run_steps(steps: Iterable[Step], select: str) -> list[tuple]:
    """`WITH <steps> <select>` on PostgreSQL: the rows of `select`. Where a job's step reads
    what another owner's step wrote (the rows it deleted, the lines it locked), the steps run
    as one statement and one snapshot, and the job's Python sees only the result."""
    steps = list(steps)
    parts = ",\n".join(f"{step.name} AS ({step.sql})" for step in steps)
    with connection.cursor() as cur:
        cur.execute(f"WITH {parts}\n{select}", [p for step in steps for p in step.params])
        return cur.fetchall()


def int_array(values) -> str:
    """Ints (or None) as one PostgreSQL array literal, the parameter of a `%s::bigint[]`.

    Django binds parameters on the client, and psycopg renders a list there element by element
    in Python: a few milliseconds per thousand ids, which the batch jobs paid on every statement.
    Joining the digits is a tenth of that, and PostgreSQL parses the literal as fast.
    """
    return "{" + ",".join([str(v) if v is not None else "NULL" for v in values]) + "}"


class IdIn(Lookup):
    """`IdIn(F("pk"), ids)`: the ids as one array parameter on PostgreSQL, `= ANY(%s::bigint[])`.

    Django renders `pk__in=ids` as one placeholder per id, each prepared by the field and then
    rendered by psycopg on the client: 9 ms of CPU for 800 ids and 58 ms for 5,000, on the
    searches that pass a list of matches to the next query. The literal (`int_array`) is one
    string; PostgreSQL plans `= ANY` of an array as it plans an IN list. Elsewhere, an IN list.
    """

    lookup_name = "id_in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        if not self.rhs:  # as `pk__in=[]`: the query is known empty and not run
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*params, int_array(self.rhs)]


def text_array(values) -> str:
    """Strings as one PostgreSQL array literal, the parameter of a `%s::text[]` (or `jsonb[]`).

    As `int_array`, for strings: psycopg escapes a list's strings one by one with a regular
    expression, which cost a release batch more than the rest of its Python work. In the
    literal each element is double-quoted, with its backslashes and double quotes escaped.
    """
    return "{" + ",".join(map(array_element, values)) + "}"


def array_element(text: str) -> str:
    """A string as an element of a PostgreSQL array literal: double-quoted, with its
    backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bulk_set_statement(
    model, field: str, values: dict[int, object], sql_type: str = "int"
) -> Statement | None:
    """UPDATE model SET field = v WHERE pk = k, for every (k, v); None when there is nothing.
    Without the ORM's per-row CASE expressions (which cost more in Python than the statement
    costs in the database). Only the app that owns `model` builds this for it."""
    if not values:
        return None
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    ids = sorted(values)

    def orm():
        rows = [model(pk=pk, **{field: value}) for pk, value in values.items()]
        model.objects.bulk_update(rows, [field], batch_size=500)

    return Statement(
        sql=(
            f'UPDATE "{table}" t SET "{column}" = v.value '  # names from model meta
            f"FROM unnest(%s::bigint[], %s::{sql_type}[]) AS v(id, value) WHERE t.id = v.id"
        ),
        params=[int_array(ids), [values[i] for i in ids]],
        orm=orm,
    )


def bulk_set(model, field: str, values: dict[int, object], sql_type: str = "int") -> None:
    """UPDATE model SET field = v WHERE pk = k, for every (k, v), in one statement."""
    execute_together([bulk_set_statement(model, field, values, sql_type)])


_PLACEHOLDER = re.compile(r"%[s%]")
_INTEGER = range(-(2**31), 2**31)  # PostgreSQL's `integer`, the narrowest column an int meets
PREPARED_PER_CONNECTION = 100
_statement_numbers = itertools.count(1)


def execute_prepared(cursor, sql: str, params: list) -> None:
    """`cursor.execute(sql, params)`, on PostgreSQL as a statement this connection prepared
    the first time it ran it: planned once per connection, not on every call (planning the
    small keyed reads of a cart change cost PostgreSQL as much as running them). Still one
    round trip, the first time too: the PREPARE goes with the first EXECUTE.

    For reads whose plan does not depend on the values (found by key): after five runs
    PostgreSQL may keep one generic plan. The arguments go as literals, bound by the client as
    any other parameter. Not through a pooler that shares sessions between clients
    (PgBouncer in transaction mode): a prepared statement belongs to its session.
    """
    if connection.vendor != "postgresql" or not all(map(_fits_a_prepared_parameter, params)):
        cursor.execute(sql, params)
        return
    raw = connection.connection  # the session: a new connection has prepared nothing
    prepared = raw.__dict__.setdefault("prepared_statements", {})
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    name = prepared.get(sql)
    if name is not None:
        cursor.execute(f"EXECUTE {name}{arguments}", params)
        return
    if len(prepared) >= PREPARED_PER_CONNECTION:  # a caller whose SQL text keeps changing
        cursor.execute(sql, params)
        return
    # A new name each attempt: one whose PREPARE ran but whose EXECUTE failed stays unused.
    name = f"prepared_{next(_statement_numbers)}"
    numbers = itertools.count(1)
    numbered = _PLACEHOLDER.sub(lambda m: f"${next(numbers)}" if m[0] == "%s" else "%%", sql)
    cursor.execute(f"PREPARE {name} AS {numbered}; EXECUTE {name}{arguments}", params)
    cursor.nextset()  # the EXECUTE's rows
    prepared[sql] = name


def _fits_a_prepared_parameter(value) -> bool:
    """Whether a value means the same as a prepared statement's parameter as it does as a
    literal. Prepared, a parameter takes the type of the column it meets: an int beyond that
    column's range (a version or an id no row can have, from an API client) would fail there
    instead of matching nothing, so such a call runs unprepared."""
    return type(value) is not int or value in _INTEGER


class CompiledQuery:
    """A read the ORM compiles to SQL once per thread, then runs with new arguments.

    For the small reads of every cart change (`orders.pricing.read_for_pricing`): compiling a
    queryset of joins, annotations and a UNION costs the ORM several times what the database
    takes to answer it.

    `build(*args)` makes the queryset for its arguments: ints, strings and aware datetimes. It
    is compiled once with marker arguments; wherever a marker lands among the compiled
    parameters, a call's argument goes. Rows come back through the ORM's converters, as the
    queryset would give them: `rows()` for a `values_list` queryset, `objects()` for model
    instances (with what `select_related` joins and the annotations, as iterating gives them);
    `sql()` gives the SQL and its parameters, to put inside a statement of the caller's.
    `rows()` and `objects()` run it as a prepared statement of the connection
    (`execute_prepared`): these are reads by key, whose plan does not depend on the values (a
    search, whose best plan does, puts `sql()` in a statement of its own).

    A string argument may also land inside a parameter, as a LIKE pattern of `contains`,
    `startswith` and the like: there the call's argument is escaped as Django escapes it.
    """

    # Values no real call passes: negative ids, a date long gone (microseconds tell them apart).
    INT_MARKER = -7_919_000_001
    TIME_MARKER = dt.datetime(1901, 1, 1, 0, 0, 0, 7919, tzinfo=dt.UTC)

    def __init__(self, build: Callable, *kinds: type):
        self.build = build
        self.markers = [self._marker(kind, n) for n, kind in enumerate(kinds)]
        self._compiled = threading.local()  # a compiler per thread, as connections are

    @classmethod
    def _marker(cls, kind: type, n: int):
        if kind is int:
            return cls.INT_MARKER - n
        if kind is str:
            return f"\x1fcompiled query argument {n}\x1f"
        if kind is dt.datetime:
            return cls.TIME_MARKER + dt.timedelta(microseconds=n)
        raise TypeError(f"CompiledQuery takes ints, strings and datetimes, not {kind.__name__}")

    def sql(self, *args) -> tuple[str, list]:
        """The compiled SQL (`%s` placeholders) and its parameters, with this call's arguments."""
        _compiler, sql, params, slots = self._compile()
        return sql, self._params(params, slots, args)

    def rows(self, *args) -> list[tuple]:
        compiler, results = self._execute(args)
        return list(compiler.results_iter(results=results, tuple_expected=True))

    def objects(self, *args, prefix: tuple[str, list] = ("", [])) -> list:
        """The model instances, built as Django's ModelIterable builds them (from_db, then the
        related populators and the annotations), from a plan made once with the compiler.
        `prefix`: SQL put before the compiled query (a WITH clause) and its parameters."""
        compiler, results = self._execute(args, prefix)
        model, init_list, start, end, populators, annotations = self._plan(compiler)
        out = []
        for row in compiler.results_iter(results=results):
            obj = model.from_db(connection.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            out.append(obj)
        return out

    def _execute(self, args, prefix: tuple[str, list] = ("", [])):
        compiler, sql, params, slots = self._compile()
        params = self._params(params, slots, args)
        with connection.cursor() as cursor:
            execute_prepared(cursor, prefix[0] + sql, [*prefix[1], *params])
            return compiler, [cursor.fetchall()]

    def _params(self, params, slots, args) -> list:
        params = list(params)
        for position, n, like in slots:
            if like is None:
                params[position] = self._adapt(args[n])
            else:  # a LIKE pattern: what comes before and after the argument
                params[position] = like[0] + connection.ops.prep_for_like_query(args[n]) + like[1]
        return params

    def _plan(self, compiler):
        plan = getattr(self._compiled, "plan", None)
        if plan is None:
            info, select = compiler.klass_info, compiler.select
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            plan = self._compiled.plan = (
                info["model"],
                [column[0].target.attname for column in select[start:end]],
                start,
                end,
                get_related_populators(info, select, connection.alias),
                list(compiler.annotation_col_map.items()),
            )
        return plan

    def _compile(self):
        compiled = getattr(self._compiled, "query", None)
        if compiled is None:
            compiler = self.build(*self.markers).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            adapted = [self._adapt(marker) for marker in self.markers]
            slots = [(i, adapted.index(p), None) for i, p in enumerate(params) if p in adapted]
            texts = [(n, m) for n, m in enumerate(self.markers) if isinstance(m, str)]
            for i, p in enumerate(params):
                inside = [(n, m) for n, m in texts if isinstance(p, str) and m in p and m != p]
                for n, marker in inside[:1]:
                    before, after = p.split(marker, 1)
                    slots.append((i, n, (before, after)))
            missing = set(range(len(adapted))) - {n for _, n, _like in slots}
            if missing:
                raise ValueError(f"arguments {sorted(missing)} do not reach the SQL as parameters")
            compiled = self._compiled.query = (compiler, sql, params, slots)
        return compiled

    @staticmethod
    def _adapt(value):
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value
