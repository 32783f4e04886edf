"""The store dashboard embedded in wp-admin: its pages (`pages`), the JSON API they and
operators use (`api`, under /api/v1), the routes that connect Xero and WooCommerce from the
browser (`connect`), and the store-bound sessions all three accept (`sessions`)."""
