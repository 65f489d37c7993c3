"""Inventory: stock per center, allocation, availability to promise, expected inventory.

The layer under orders. It knows order lines only by id (orders hands it a `LineStock` per line),
writes only fulfillment's tables and returns plain results; orders writes its own rows from them
(orders/allocation.py). It never imports orders or fulfillment's order-flow modules.

Locking order, everywhere: order lines (orders locks them before it calls in here), then
inventory rows, then expected-inventory rows, each set in primary-key order (locks.py).
"""
