"""Demo data and benchmark volumes, which each app keeps in its own modules.

`<app>/demo.py` declares `DEMO = DemoData(load=..., after=(...))` and `<app>/load_data.py`
declares `VOLUME = Volume(...)`. Core imports no app: `manage.py load_demo_data` and
`generate_load_data` find these modules with Django's autodiscover_modules and take them in
INSTALLED_APPS order, each after the apps it names in `after`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

Log = Callable[[str], None]


@dataclass(frozen=True)
class DemoData:
    # load(log): adds the app's demo rows; idempotent (a second run adds nothing twice).
    load: Callable[[Log], None]
    # Labels of the apps whose demo data this app's needs (loaded first).
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Volume:
    """One option of `generate_load_data`: `--<option> N` adds N rows of the app's."""

    option: str
    label: str
    # generate(count, progress): adds `count` rows, calling progress(done) as it goes.
    generate: Callable[[int, Callable[[int], None] | None], int]
    after: tuple[str, ...] = ()


T = TypeVar("T", DemoData, Volume)


def _app_modules(module_name: str) -> dict[str, ModuleType]:
    """Each installed app's `<app>.<module_name>` module by app label, in INSTALLED_APPS order."""
    autodiscover_modules(module_name)
    found = {}
    for config in apps.get_app_configs():
        module = sys.modules.get(f"{config.name}.{module_name}")
        if module is not None:
            found[config.label] = module
    return found


def _in_load_order(declared: dict[str, T]) -> list[tuple[str, T]]:
    """INSTALLED_APPS order, except that each comes after the apps named in its `after`."""
    for label, item in declared.items():
        unknown = set(item.after) - set(declared)
        if unknown:
            raise ImproperlyConfigured(f"{label} loads after {sorted(unknown)}, which have none.")
    ordered: list[tuple[str, T]] = []
    waiting = dict(declared)
    while waiting:
        done = {label for label, _ in ordered}
        label = next((k for k, v in waiting.items() if set(v.after) <= done), None)
        if label is None:
            raise ImproperlyConfigured(f"These apps load after each other: {sorted(waiting)}.")
        ordered.append((label, waiting.pop(label)))
    return ordered


def demo_data() -> list[tuple[str, DemoData]]:
    """(app label, DemoData) of every app with a `demo` module, in load order."""
    return _in_load_order({label: m.DEMO for label, m in _app_modules("demo").items()})


def volumes() -> list[tuple[str, Volume]]:
    """(app label, Volume) of every app with a `load_data` module, in load order."""
    return _in_load_order({label: m.VOLUME for label, m in _app_modules("load_data").items()})
