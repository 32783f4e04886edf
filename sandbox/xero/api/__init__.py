"""The Accounting API (``/api.xro/2.0``): request pipeline, query language and resources."""
