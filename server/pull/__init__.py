"""Xero → wooxero: Xero's webhook events and the periodic read of changed documents, kept
on the bindings so nothing final is ever edited."""
