"""The ``/wc/v3`` JSON representations, shared by the REST API, webhook payloads, storms and
``/_sandbox`` (so each resource is written out one way only)."""
