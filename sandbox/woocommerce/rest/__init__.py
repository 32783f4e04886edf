"""The WordPress REST API surface: ``/wp-json/`` and the ``wc/v3`` namespace."""
