"""Connecting a store's external systems from the browser (Xero's OAuth2 dance)."""

from server.connect.xero import bp

__all__ = ["bp"]
