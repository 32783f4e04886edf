"""The store's records and every change made to them: the database, generated data, the product,
customer, order and refund changes the REST API and ``/_sandbox`` share, and simulated shopping.

Changes fire their webhook topics through ``Store.emit``; nothing here speaks HTTP.
"""
