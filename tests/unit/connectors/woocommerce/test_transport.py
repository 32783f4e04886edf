"""Store connections reach public addresses only, checked on the connected socket."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from server.connectors.base import PermanentError
from server.connectors.woocommerce.client import WooClient, WooStoreConfig
from server.connectors.woocommerce.transport import PrivateAddressRefused, store_session
from tests.support.waiting import HTTP_TIMEOUT


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"id": 7}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def internal_service():
    server = HTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_a_name_that_leads_to_loopback_is_refused_at_connect(internal_service):
    assert socket.gethostbyname("localhost") == "127.0.0.1"
    with pytest.raises(PrivateAddressRefused, match=r"127\.0\.0\.1"):
        store_session(allow_private=False).get(
            f"http://localhost:{internal_service}/", timeout=HTTP_TIMEOUT
        )
    answer = store_session(allow_private=True).get(
        f"http://localhost:{internal_service}/", timeout=HTTP_TIMEOUT
    )
    assert answer.json() == {"id": 7}, "allowed in development"


def test_the_client_says_why_it_will_not_call(internal_service):
    config = WooStoreConfig(
        url=f"http://localhost:{internal_service}", consumer_key="ck_x", consumer_secret="cs_x"
    )
    with pytest.raises(PermanentError, match="not a public address"):
        WooClient(config, sleep=lambda _: None).order(7)
    allowed = WooStoreConfig(
        url=f"http://localhost:{internal_service}", consumer_key="ck_x", consumer_secret="cs_x",
        allow_private=True,
    )  # fmt: skip
    assert WooClient(allowed, sleep=lambda _: None).order(7) == {"id": 7}
