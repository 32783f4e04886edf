"""The ``wc/v3`` endpoints, one module per resource family, registered by ``rest.routes``."""
