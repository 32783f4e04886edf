"""Store URLs: normalised, and checked so the server cannot be pointed at internal hosts."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit, urlunsplit


class UnsafeStoreURL(ValueError):  # noqa: N818 - a ValueError by nature
    """The URL cannot be used for a store; the message says why."""


DEFAULT_PORTS = {"http": 80, "https": 443}
DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise(url: str) -> str:
    """`HTTPS://Shop.Example:443/Store/` → `https://shop.example/Store`: lower-case scheme and
    host, no default port, no trailing slash, no query or fragment."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeStoreURL(f"{url!r} is not an http(s) URL")
    if not parts.hostname:
        raise UnsafeStoreURL(f"{url!r} has no host")
    if parts.username or parts.password:
        raise UnsafeStoreURL("a store URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise UnsafeStoreURL("a store URL has no query or fragment")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise UnsafeStoreURL(f"{url!r} has an invalid port") from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def plain_origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL whose host is a DNS name (IDN as punycode)
    or an IP address, without user info; None for anything else. What it returns is one
    origin and nothing more, safe to put in a header (a `;`, a space or a `*` in a host
    would add directives or widen a Content-Security-Policy)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or "@" in parts.netloc:  # no user info
        return None
    host = _plain_host(parts.hostname or "")
    if host is None:
        return None
    default = port in (None, DEFAULT_PORTS[parts.scheme])
    return f"{parts.scheme}://{host}" if default else f"{parts.scheme}://{host}:{port}"


def _plain_host(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(DNS_LABEL.match(label) for label in labels):
        return None
    return ascii_host


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable (an IPv4 address mapped into IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global


def check(url: str, *, allow_http: bool, allow_private: bool, resolve: bool = False) -> str:
    """The normalised URL, if the server may call it: https (plain http only if allowed), and
    a host that is not a private or loopback address (unless allowed).

    A host name is resolved only with `resolve` (to refuse early, where a person is waiting);
    every connection to a store checks the address it actually reached anyway
    (`transport.store_session`), so a name that resolves differently later gains nothing.
    """
    normalised = normalise(url)
    parts = urlsplit(normalised)
    if parts.scheme == "http" and not allow_http:
        raise UnsafeStoreURL(
            "the store must use https (plain http is allowed only with "
            "woocommerce.allow_insecure_http)"
        )
    if allow_private:
        return normalised
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        addresses = _addresses(host, port) if resolve else set()
    for address in addresses:
        if not is_public(address):
            raise UnsafeStoreURL(f"{host} resolves to {address}, which is not a public address")
    return normalised


def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise UnsafeStoreURL(f"{host} cannot be found ({error.strerror})") from None
    return {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}


def order_edit_url(admin_url: str, order_id: int, *, hpos: bool | None = None) -> str | None:
    """The order's edit screen in wp-admin (`admin_url`, as the plugin reports it), or None
    for an address that is not http(s). With High-Performance Order Storage on, the screen is
    `admin.php?page=wc-orders&action=edit&id=N`; otherwise, and when it is not known, the
    classic `post.php?post=N&action=edit`, which serves both: since WooCommerce 7.2, with HPOS
    on, PostsRedirectionController sends it on to the HPOS screen (placeholder posts
    included)."""
    base = admin_url.strip().rstrip("/")
    if urlsplit(base).scheme not in DEFAULT_PORTS or order_id <= 0:
        return None
    if hpos:
        return f"{base}/admin.php?page=wc-orders&action=edit&id={order_id}"
    return f"{base}/post.php?post={order_id}&action=edit"
