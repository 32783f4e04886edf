"""The WooCommerce connector: store URLs checked (urls.py), the REST client on the
`woocommerce` package (client.py), webhook deliveries (webhooks.py), wc-auth (auth.py)."""
