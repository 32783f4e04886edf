"""The Xero connector: OAuth2 (oauth.py), tokens kept fresh (tokens.py), the shared rate
limiter (ratelimit.py), the API client (client.py), resources declared as data
(resources.py), batched writes (batch.py), `where` filters (where.py), webhooks (webhooks.py).
"""
