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

_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


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


def _issuer(packages: set[str]) -> str:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] in packages and module != __name__:
            return module
        frame = frame.f_back
    return "?"


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

    def watch(execute, sql, params, many, context):
        match = _WRITE.match(sql)
        if match:
            table = match.group(2).lower()
            app = table_apps.get(table)
            if app in allowed:
                verb = match.group(1).split()[0].upper()
                writes.append(TableWrite(verb, table, app, _issuer(packages), sql))
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
