"""Table ownership in tests: every write to an app's tables comes from that app's own code.

    with only_owners_write("orders") as writes:
        run_release()
    assert writes  # the check saw orders' writes (so it could have failed)

Each INSERT / UPDATE / DELETE issued on the default connection inside the block is matched to
the table's app (the app of the model whose `db_table` it names) and to the module that issued
it: the innermost frame of project code on the stack at execution (Django's ORM, the database
driver, this module and `contextlib` are skipped; a write issued from a test is a test's).
On exit the block fails, listing each statement on a watched app's table issued from a module
outside that app. `owners` narrows an app to some of its modules, e.g.
`owners={"fulfillment": ("fulfillment.inventory",)}`.

Several owners' statements may travel in one round trip (`core.db.execute_together`,
`core.db.run_steps`): each `core.db.Statement` or `core.db.Step` is then judged by the module
that built it, since that is where its SQL comes from, and the combined statement itself is not
judged again.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection

from core import db as core_db

# INSERT INTO t, UPDATE t, DELETE FROM t anywhere in a statement (data-modifying CTEs too), but
# not SELECT ... FOR UPDATE OF t, FOR NO KEY UPDATE, nor ON CONFLICT DO UPDATE SET
_WRITE = re.compile(
    r'(?<!FOR\s)(?<!KEY\s)(?<!DO\s)\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TableWrite:
    verb: str
    table: str
    app: str  # the table's app
    module: str  # the module that issued the statement
    sql: str


def _table_apps() -> dict[str, str]:
    return {model._meta.db_table: model._meta.app_label for model in apps.get_models()}


def _project_packages() -> set[str]:
    base = str(settings.BASE_DIR)
    packages = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        # the virtualenv may live inside the checkout (.venv): its packages are not ours
        if config.path.startswith(base) and "site-packages" not in config.path
    }
    return packages | {"config", "tests"}


def _issuer(packages: set[str], skip: tuple[str, ...] = ()) -> str:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] in packages and module not in (__name__, *skip):
            return module
        frame = frame.f_back
    return "?"


@contextmanager
def _statements_judged_by_their_builder(record):
    """While active, `record(sql, module)` is called for each `core.db.Statement` sent through
    `execute_together` and each `core.db.Step` sent through `run_steps`, with the module that
    built it; yields a flag that is true while such a combined statement runs (the query-log
    watcher then leaves it alone)."""
    built_by: dict[int, str] = {}
    running = {"together": False}
    _packages = _project_packages()
    originals = {
        "execute_together": core_db.execute_together,
        "run_steps": core_db.run_steps,
    }
    inits = {cls: cls.__init__ for cls in (core_db.Statement, core_db.Step)}

    def judged_init(original_init):
        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            # core.db's helpers build a statement for the owner that asks for it
            built_by[id(self)] = _issuer(_packages, skip=("core.db",))

        return init

    def judged(original):
        def run(parts, *args, **kwargs):
            parts = [p for p in parts if p is not None]
            for part in parts:
                record(part.sql, built_by.get(id(part), "?"))
            running["together"] = True
            try:
                return original(parts, *args, **kwargs)
            finally:
                running["together"] = False

        return run

    # modules that imported the functions by name hold their own reference to them
    holders = [
        (module, name)
        for module in list(sys.modules.values())
        for name, original in originals.items()
        if getattr(module, name, None) is original
    ]
    for cls, original_init in inits.items():
        cls.__init__ = judged_init(original_init)
    for module, name in holders:
        setattr(module, name, judged(originals[name]))
    try:
        yield running
    finally:
        for cls, original_init in inits.items():
            cls.__init__ = original_init
        for module, name in holders:
            setattr(module, name, originals[name])


@contextmanager
def only_owners_write(
    *app_labels: str, owners: dict[str, tuple[str, ...]] | None = None
) -> Iterator[list[TableWrite]]:
    """Fail if a table of one of `app_labels` is written by another app's (or a test's) code.
    Yields the list of writes seen on those apps' tables."""
    table_apps = _table_apps()
    packages = _project_packages()
    allowed = {app: (app,) for app in app_labels} | (owners or {})
    writes: list[TableWrite] = []

    def record(sql: str, module: str) -> None:
        for verb, table in _WRITE.findall(sql):
            app = table_apps.get(table.lower())
            if app in allowed:
                writes.append(TableWrite(verb.split()[0].upper(), table.lower(), app, module, sql))

    with _statements_judged_by_their_builder(record) as combined:

        def watch(execute, sql, params, many, context):
            if not combined["together"]:
                record(sql, _issuer(packages))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(watch):
            yield writes
    strangers = [
        w
        for w in writes
        if not any(w.module == m or w.module.startswith(m + ".") for m in allowed[w.app])
    ]
    assert not strangers, "Tables written by code that does not own them:\n" + "\n".join(
        f"  {w.verb} {w.table} (owned by {w.app}) from {w.module}: {w.sql[:120]}" for w in strangers
    )
