"""Webhooks as WooCommerce 7.4 runs them: topics, the delivery queue, signed deliveries,
payloads built at send time, and delivery storms for load tests."""
