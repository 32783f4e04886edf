"""One module per Accounting API collection: create, update, find and render."""
