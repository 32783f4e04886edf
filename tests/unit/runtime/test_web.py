"""gunicorn as `wooxero web` configures it."""

from __future__ import annotations

from server.runtime.web import WebServer


def test_the_access_log_leaves_query_strings_out(settings) -> None:
    """Dashboard sessions and one-time tokens travel in query strings: never logged."""
    log_format = WebServer(settings).cfg.access_log_format
    assert "%(U)s" in log_format
    for atom in ("%(r)s", "%(q)s", "%(u)s"):
        assert atom not in log_format
