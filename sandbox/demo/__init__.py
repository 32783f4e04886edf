"""`make demo` (`python -m sandbox.demo`): both sandboxes and `wooxero serve` on loopback,
a demo store linked and connected as a shop owner would, and orders flowing into invoices.

A development tool over the sandboxes, not part of the server: it drives the server only
from outside (processes, HTTP), through the same bridge calls, dashboard forms and settings
API the WordPress plugin and the store admin use.
"""
