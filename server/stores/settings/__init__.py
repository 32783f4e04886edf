"""A store's sync settings: the validated document (`schema`, pure), where it is kept
(`storage`), and what the server enforces around it (`rules`: the module chain, names
active in Xero, manual-sync cooldowns; `tax_mapping`: the keys the mapping needs, and its
rows checked against Xero's tax rates)."""
