"""A store's connections to Xero and to its WooCommerce: connecting and disconnecting them
(`connect`), and the connector clients built for a store from its connection (`access`)."""
