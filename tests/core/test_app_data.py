"""Demo and load-data modules are found per app (core names none of them)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.app_data import DemoData, _in_load_order, demo_data, volumes


def _load(log):
    pass


def test_every_app_with_demo_data_is_found_each_after_what_it_needs():
    order = [label for label, _ in demo_data()]
    assert order[:4] == ["core", "customers", "catalog", "pricing"]
    assert order.index("fulfillment") < order.index("orders")
    options = [volume.option for _, volume in volumes()]
    assert set(options) == {"customers", "skus", "orders"}
    assert options.index("orders") > max(options.index("customers"), options.index("skus"))


def test_installed_apps_order_holds_unless_a_module_says_after():
    declared = {"a": DemoData(_load, after=("c",)), "b": DemoData(_load), "c": DemoData(_load)}
    assert [label for label, _ in _in_load_order(declared)] == ["b", "c", "a"]


def test_a_cycle_or_an_unknown_app_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="after each other"):
        _in_load_order({"a": DemoData(_load, after=("b",)), "b": DemoData(_load, after=("a",))})
    with pytest.raises(ImproperlyConfigured, match="have none"):
        _in_load_order({"a": DemoData(_load, after=("nope",))})
