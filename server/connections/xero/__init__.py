"""The store's Xero organisation: OAuth2 connect, choose, disconnect; clients with fresh tokens."""
