"""HTTP to stores: connections only to public addresses, checked on the connected socket (so
a host name that resolves to an internal address, at any time, gains nothing), no redirects
followed (`WooClient` refuses them), and, within `deadline`, a bound on a whole call."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
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


class _Deadline:
    """Shuts the connections opened under it when its time is up. A read timeout bounds each
    wait for bytes, not an answer sent a byte at a time; this bounds the whole call. (A TLS
    handshake is bounded in all by the socket timeout already.)"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._open = True
        self.expired = False

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            elif self._open:
                self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            if self._open:
                self.expired = True
                for sock in self._sockets:
                    _shut(sock)

    def close(self) -> None:
        """The call is over: its sockets are no longer ours to shut."""
        with self._lock:
            self._open = False
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    """Wake whatever waits on `sock` (at the descriptor: an SSLSocket's own shutdown would
    pull its TLS state from under the reading thread)."""
    with suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current_deadline: ContextVar[_Deadline | None] = ContextVar("store_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[_Deadline]:
    """Every store connection opened in this block, in this thread, is shut `seconds` after
    it began; `expired` then says so."""
    watch = _Deadline()
    token = _current_deadline.set(watch)
    timer = threading.Timer(seconds, watch.expire)
    timer.daemon = True
    timer.start()
    try:
        yield watch
    finally:
        timer.cancel()
        watch.close()
        _current_deadline.reset(token)


class _WatchedConnection:
    """Mixed into the connection classes: a connection opened within `deadline` is watched;
    with `public_only`, one that reached an address that is not public is refused."""

    public_only = False
    host: str
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        if self.public_only:
            _refuse_private_peer(sock, self.host)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watch = _current_deadline.get()
        if watch is not None and self.sock is not None:
            watch.watch(self.sock)


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _PublicHTTPConnection(_WatchedConnection, HTTPConnection):
    public_only = True


class _PublicHTTPSConnection(_WatchedConnection, HTTPSConnection):
    public_only = True


def _pool(base: type, connection: type) -> type:
    return type(f"{connection.__name__}Pool", (base,), {"ConnectionCls": connection})


_POOLS = {
    False: {
        "http": _pool(HTTPConnectionPool, _HTTPConnection),
        "https": _pool(HTTPSConnectionPool, _HTTPSConnection),
    },
    True: {
        "http": _pool(HTTPConnectionPool, _PublicHTTPConnection),
        "https": _pool(HTTPSConnectionPool, _PublicHTTPSConnection),
    },
}


class _StoreAdapter(HTTPAdapter):
    def __init__(self, *, public_only: bool) -> None:
        self._pools = _POOLS[public_only]
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools  # type: ignore[assignment]


def store_session(*, allow_private: bool) -> requests.Session:
    """A session for one store's calls. Environment proxies are ignored: the address
    reached must be the store's own."""
    session = requests.Session()
    session.trust_env = False
    adapter = _StoreAdapter(public_only=not allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
