"""Xero's identity service: OAuth2 authorisation, tokens, revocation and connections."""
