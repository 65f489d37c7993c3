"""One owner per table, checked on the query log: `writes_only_by_owners()` fails a test when an
app's code writes another app's table (a table `orders_*` is written only from `orders/`).

A write is attributed to the innermost project module that issued it (the ORM, raw SQL). A
statement sent through `core.db.execute_together` with other owners' statements is attributed
to the module that built it (`core.db.Statement`), since that is where its SQL comes from.
Writes issued from the tests themselves (factories, setup) are not checked.
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

from django.db import connection

from core import db as core_db

ROOT = Path(__file__).resolve().parent.parent
CORE_DB = Path(core_db.__file__).resolve()
APPS = {"core", "customers", "catalog", "pricing", "orders", "fulfillment", "returns", "auctions"}
# INSERT INTO t, UPDATE t, DELETE FROM t (not SELECT ... FOR UPDATE OF t, not DO UPDATE SET)
WRITTEN = re.compile(
    r'(?<!FOR\s)(?<!KEY\s)(?<!DO\s)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?',
    re.IGNORECASE,
)


def _issuer() -> str | None:
    """The app of the innermost project module on the stack (None: the tests themselves)."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if path.is_relative_to(ROOT) and path not in (CORE_DB, Path(__file__).resolve()):
            parts = path.relative_to(ROOT).parts
            if parts[0] == ".venv":
                frame = frame.f_back
                continue
            return None if parts[0] == "tests" else parts[0]
        frame = frame.f_back
    return None


def _tables(sql: str) -> set[str]:
    return {t.lower() for t in WRITTEN.findall(sql)}


@contextlib.contextmanager
def writes_only_by_owners(apps: tuple[str, ...] = ("orders", "fulfillment")):
    """Fail when a table of one of `apps` is written by another app's code."""
    wrong: list[str] = []
    built_by: dict[int, str | None] = {}
    together = {"depth": 0}

    def check(app: str | None, sql: str) -> None:
        if app is None:
            return
        for table in _tables(sql):
            owner = table.split("_", 1)[0]
            if owner in apps and owner != app:
                wrong.append(f"{app} wrote {table}: {sql.strip()[:120]}")

    original_init = core_db.Statement.__init__
    original_together = core_db.execute_together

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built_by[id(self)] = _issuer()

    def execute_together(statements):
        statements = [s for s in statements if s is not None]
        for statement in statements:
            check(built_by.get(id(statement)), statement.sql)
        together["depth"] += 1
        try:
            original_together(statements)
        finally:
            together["depth"] -= 1

    def wrapper(execute, sql, params, many, context):
        if not together["depth"]:
            check(_issuer(), sql)
        return execute(sql, params, many, context)

    core_db.Statement.__init__ = init
    core_db.execute_together = execute_together
    patched = [
        module
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in APPS
        and getattr(module, "execute_together", None) is original_together
    ]
    for module in patched:
        module.execute_together = execute_together
    try:
        with connection.execute_wrapper(wrapper):
            yield wrong
    finally:
        core_db.Statement.__init__ = original_init
        for module in patched:
            module.execute_together = original_together
        core_db.execute_together = original_together
    assert not wrong, "\n".join(wrong)
