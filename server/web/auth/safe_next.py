"""Where to go after login: only a path on this site, never another origin."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None, default: str) -> str:
    """`target` if it is a local absolute path (no scheme, host, `//` or backslash)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 32 for char in target):
        return default
    return target
