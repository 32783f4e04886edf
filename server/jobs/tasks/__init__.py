"""The job functions, by domain: `inbound` (WooCommerce records, polls, webhooks, the event
sweeper), `push` (flushes, manual syncs, backfills, reference data), `pull` (Xero's events
and changes), `stores` (a store's connections closed and data erased), `billing` (trials ended,
syncing resumed once a store may again), `notifications` (the periodic check that emails
what people must act on), `housekeeping`.

Each takes primitive ids, runs inside the worker's app context, owns its transaction and
is safe to run twice. What runs next is decided here, from the typed results the use cases
return — never inside a use case.
"""
