"""The store's WooCommerce: keys by wc-auth or by hand, test, disconnect; clients for the store."""
