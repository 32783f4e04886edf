"""wooxero → Xero: the per-store outbox, each flush's plan, batched exactly-once writes of
invoices and quotes, reconciliation after uncertain writes, contacts, items, the cached
reference data, and the audit trail of every attempt."""
