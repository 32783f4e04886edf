"""Operator login and logout."""

from server.web.auth.views import bp, load_operator

__all__ = ["bp", "load_operator"]
