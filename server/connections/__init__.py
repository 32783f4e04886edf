"""A store's connections to Xero and to its WooCommerce: connecting and disconnecting them
(`connect`), and the connector clients built for a store from its connection (`access`)."""


class ConnectError(Exception):
    """A connection cannot be made, changed or removed; the message is for the person
    connecting (a store admin or an operator), in words they can act on."""
