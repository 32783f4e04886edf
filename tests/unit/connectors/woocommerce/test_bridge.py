"""The ownership challenge's call to the site is bounded in all, however the site answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from server.connectors.base import TransientError
from server.connectors.woocommerce.bridge import prove_control
from server.connectors.woocommerce.transport import store_session


@pytest.fixture
def trickling_site() -> Iterator[str]:
    """A site that answers a byte every 0.2 s: each read is quick, the answer never ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            answer = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000 + b"\r\n\r\n{}"
            for byte in answer:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_an_answer_trickled_a_byte_at_a_time_is_cut_at_the_timeout(trickling_site):
    started = time.monotonic()
    with pytest.raises(TransientError, match="within 1 s"):
        prove_control(store_session(allow_private=True), trickling_site, "ab" * 16, timeout=1)
    assert time.monotonic() - started < 2
