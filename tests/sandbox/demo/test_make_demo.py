"""`make demo` as a newcomer runs it: a subprocess, the link and login it prints opened over
real HTTP, an order placed in the sandbox store becoming an invoice in the sandbox Xero, and
nothing left running once it is stopped."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.processes import PROJECT_ROOT, clean_environment
from tests.support.waiting import HTTP_TIMEOUT, PATIENCE, wait_until
from tests.support.web import csrf_token

pytestmark = pytest.mark.slow

SET_UP = 3 * PATIENCE  # the server's start, then the connections and the tax rates read, in turn


@dataclass
class Demo:
    process: subprocess.Popen[str]
    output_file: Path

    @property
    def output(self) -> str:
        return self.output_file.read_text()

    def printed(self, pattern: str, timeout: float = PATIENCE) -> re.Match[str]:
        """The first match of `pattern` in what the demo printed, once it is there."""

        def found() -> re.Match[str] | None:
            if self.process.poll() is not None:
                raise AssertionError(f"the demo exited ({self.process.returncode}):\n{self.output}")
            return re.search(pattern, self.output)

        return wait_until(found, lambda: f"{pattern!r} in:\n{self.output}", timeout, 0.25)

    def family(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def stop(self, number: signal.Signals) -> list[psutil.Process]:
        """Send `number`; what of the demo's processes is still alive once it has exited."""
        family = self.family()
        self.process.send_signal(number)
        assert self.process.wait(PATIENCE) == 0, self.output
        _, alive = psutil.wait_procs(family, timeout=PATIENCE)
        return alive


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    output_file = tmp_path / "demo.out"
    with output_file.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.demo", "--data-dir", str(tmp_path / "var")],
            cwd=PROJECT_ROOT,
            env=clean_environment(PYTHONUNBUFFERED="1"),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Demo(process, output_file)
    yield running
    if process.poll() is None:  # the test failed before stopping it
        family = running.family()
        process.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=PATIENCE)
        for leftover in alive:
            leftover.kill()


def test_the_demo_prints_a_working_dashboard_link_and_login_and_orders_become_invoices(demo):
    link = demo.printed(r"Store dashboard\s+(\S+)", SET_UP).group(1)
    admin = demo.printed(r"Admin panel\s+(\S+)").group(1)
    email, password = demo.printed(r"Operator login\s+(\S+)\s+/\s+(\S+)").groups()
    orders = demo.printed(r"curl -X POST (\S+/_sandbox/orders)").group(1)
    invoices = demo.printed(r"Sandbox Xero\s+(\S+/Invoices)").group(1)

    browser = requests.Session()
    dashboard = browser.get(link, timeout=HTTP_TIMEOUT)
    assert dashboard.status_code == 200 and "/dashboard/main" in dashboard.url
    assert "Demo Store" in dashboard.text
    assert browser.get(link, timeout=HTTP_TIMEOUT).status_code == 403, "the link opens once"

    operator = requests.Session()
    base = admin.removesuffix("/admin/")
    signed_in = operator.post(
        f"{base}/login",
        data={"email": email, "password": password,
              "csrf_token": csrf_token(operator.get(f"{base}/login", timeout=HTTP_TIMEOUT).text)},
        allow_redirects=False, timeout=HTTP_TIMEOUT,
    )  # fmt: skip
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"
    stores = operator.get(f"{admin}store/", timeout=HTTP_TIMEOUT).text
    assert (
        "Demo Store" in stores
        and "Open the store&#39;s dashboard"
        in operator.get(f"{admin}store/details/?id=1", timeout=HTTP_TIMEOUT).text
    )

    placed = requests.post(orders, json={}, timeout=HTTP_TIMEOUT)
    assert placed.status_code == 200
    order = placed.json()

    def invoiced() -> dict | None:
        rows = requests.get(invoices, timeout=HTTP_TIMEOUT).json()["Invoices"]
        return next((r for r in rows if r["InvoiceNumber"] == f"WC-{order['number']}"), None)

    invoice = wait_until(invoiced, f"order {order['number']}'s invoice in Xero", interval=0.5)
    assert f"{invoice['Total']:.2f}" == order["total"]
    assert invoice["Status"] in ("AUTHORISED", "PAID")
    demo.printed(rf"invoice WC-{order['number']} in Xero")
    demo.printed(r"order \d+ placed")  # the demo's own orders, one every 20 s

    assert demo.stop(signal.SIGINT) == [], "every process the demo started has stopped"
    assert "Stopping everything" in demo.output


def test_sigterm_during_the_set_up_stops_everything_it_started(demo):
    demo.printed("Linking the demo store", SET_UP)
    assert demo.stop(signal.SIGTERM) == []
    assert "The demo is ready" not in demo.output
