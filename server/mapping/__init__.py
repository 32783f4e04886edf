"""Pure mapping from WooCommerce records to Xero payloads, and Xero's arithmetic predicted.

Records in, payloads out: no I/O, no database, no clock, no mutation (import-linter keeps it
so). Everything a mapping needs — settings, reference data, `now` — is passed in.
"""
