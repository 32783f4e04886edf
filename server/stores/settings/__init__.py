"""A store's sync settings: the validated document (`schema`, pure), where it is kept
(`storage`), and what the server enforces around it (`rules`: the module chain, the tax
mapping, names active in Xero, manual-sync cooldowns)."""
