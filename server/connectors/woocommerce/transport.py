"""HTTP to stores: connections only to public addresses, checked on the connected socket (so
a host name that resolves to an internal address, at any time, gains nothing), and no
redirects followed (`WooClient` refuses them)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from server.connectors.woocommerce.urls import is_public


class PrivateAddressRefused(Exception):  # noqa: N818 - not an error of the HTTP layer: a refusal
    """The store's host led to an address that is not public; nothing was sent."""


def _refuse_private_peer(sock: socket.socket, host: str) -> None:
    address = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    if not is_public(address):
        sock.close()
        raise PrivateAddressRefused(f"{host} leads to {address}, which is not a public address")


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _refuse_private_peer(sock, self.host)
        return sock


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _refuse_private_peer(sock, self.host)
        return sock


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[assignment]
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }


def store_session(*, allow_private: bool) -> requests.Session:
    """A session for one store's calls. Environment proxies are ignored: the address
    reached must be the store's own."""
    session = requests.Session()
    session.trust_env = False
    if not allow_private:
        adapter = _PublicOnlyAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
