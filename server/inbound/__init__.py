"""WooCommerce → wooxero: deliveries and polled records stored as inbound events, each record's
current version read and kept, the webhooks kept in place, backfills, retries.

Like every use-case package it runs the same from a job, a CLI command or a test: no
`flask.request`, no rq.
"""
