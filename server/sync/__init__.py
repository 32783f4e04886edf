"""The use cases: flows that cross systems (WooCommerce, Xero, the database). They run the
same from a job, a CLI command or a test: no `flask.request`, no rq.

Rule for every flow: never hold a database transaction while waiting on another system.
The Xero client built by `xero_access.client_for` commits the session before each call.
"""
