"""A real WordPress (Debian's package, on `php -S` with a private MariaDB), a wooxero server
on loopback that it talks to, and headless Chromium (Debian's, driven by Playwright).

WordPress answers on http://localhost:<port> and wooxero on http://127.0.0.1:<port>: two
different sites, as in production, so the embedded dashboard must work without cookies in
the iframe.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page
from redis import Redis
from werkzeug.serving import make_server

from sandbox.xero import SandboxConfig, serve_in_thread
from sandbox.xero.server import RunningSandbox
from server import create_app
from server.extensions import db
from server.startup import apply_migrations
from tests.conftest import xero_settings
from tests.support.browser import ARTIFACTS as ALL_ARTIFACTS
from tests.support.browser import Screenshot, chromium_page, screenshot_folder
from tests.support.processes import free_port
from tests.support.reference import xero_spec_path
from tests.support.waiting import HTTP_TIMEOUT, PATIENCE, answers, wait_until

pytestmark = pytest.mark.slow

WORDPRESS = Path("/usr/share/wordpress")
STANDIN = Path(__file__).parent / "woocommerce"
ARTIFACTS = ALL_ARTIFACTS / "wordpress-e2e"
PLUGIN_SLUG = "sync-orders-with-xero"


@dataclass(frozen=True)
class MariaDB:
    port: int

    def query(self, sql: str) -> str:
        """Run `sql` with the mariadb client; its tab-separated rows, without headers."""
        done = subprocess.run(
            ["mariadb", "-h127.0.0.1", f"-P{self.port}", "-uroot", "-N", "-B", "-e", sql],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        return done.stdout.strip()


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """A private MariaDB server on a free loopback port (never the machine's own)."""
    directory = tmp_path_factory.mktemp("mariadb")
    data = directory / "data"
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    port = free_port()
    with open(directory / "mariadbd.log", "w") as log:
        server = subprocess.Popen(
            ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={data}", f"--port={port}",
             f"--socket={directory / 'mariadb.sock'}", "--bind-address=127.0.0.1", "--user=root",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    database = MariaDB(port)
    try:
        wait_until(lambda: subprocess.run(
            ["mariadb-admin", "-h127.0.0.1", f"-P{port}", "-uroot", "ping"], capture_output=True
        ).returncode == 0, "MariaDB", interval=0.2)  # fmt: skip
        database.query("CREATE DATABASE wordpress CHARACTER SET utf8mb4")
        yield database
    finally:
        server.terminate()
        server.wait(PATIENCE)


@dataclass(frozen=True)
class WordPress:
    url: str
    root: Path
    database: MariaDB

    @property
    def plugins(self) -> Path:
        return self.root / "wp-content" / "plugins"

    def option(self, name: str) -> str:
        return self.database.query(
            f"SELECT option_value FROM wordpress.wp_options WHERE option_name = '{name}'"
        )

    def set_option(self, name: str, value: str) -> None:
        self.database.query(
            f"UPDATE wordpress.wp_options SET option_value = '{value}' WHERE option_name = '{name}'"
        )

    def autoload(self, name: str) -> str:
        return self.database.query(
            f"SELECT autoload FROM wordpress.wp_options WHERE option_name = '{name}'"
        )

    def plugin_messages(self) -> list[str]:
        """PHP errors, warnings and notices raised in the bridge plugin's files."""
        log = self.root / "debug.log"
        lines = log.read_text().splitlines() if log.exists() else []
        return [line for line in lines if f"/{PLUGIN_SLUG}/" in line]

    def api_keys(self) -> list[tuple[int, str]]:
        """WooCommerce's REST keys (the stand-in's table, WooCommerce's columns): (id,
        description) of each."""
        rows = self.database.query(
            "SELECT key_id, description FROM wordpress.wp_woocommerce_api_keys ORDER BY key_id"
        )
        return [(int(i), d) for i, d in (r.split("\t") for r in rows.splitlines())]

    def add_webhook(self, delivery_url: str) -> int:
        """A webhook row as WooCommerce's REST API creates one (the stand-in has no REST API)."""
        now = "2026-12-03 10:00:00"
        return int(
            self.database.query(
                "INSERT INTO wordpress.wp_wc_webhooks (status, name, user_id, delivery_url, secret,"
                " topic, date_created, date_created_gmt, date_modified, date_modified_gmt,"
                f" api_version) VALUES ('active', 'e2e', 1, '{delivery_url}', 's', 'order.updated',"
                f" '{now}', '{now}', '{now}', '{now}', 3); SELECT LAST_INSERT_ID()"
            )
        )

    def webhooks(self) -> list[str]:
        """The delivery URLs of WooCommerce's webhooks."""
        rows = self.database.query(
            "SELECT delivery_url FROM wordpress.wp_wc_webhooks ORDER BY webhook_id"
        )
        return rows.splitlines()


CONFIG = """<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:{db_port}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{keys}
$table_prefix = 'wp_';
define( 'WP_HOME', '{url}' );
define( 'WP_SITEURL', '{url}' );
define( 'WP_CONTENT_DIR', __DIR__ . '/wp-content' );
define( 'FS_METHOD', 'direct' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
// No internet here: only this site and the wooxero server may be called.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', __DIR__ . '/debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'ABSPATH', __DIR__ . '/' );
require_once ABSPATH . 'wp-settings.php';
"""


def _keys() -> str:
    names = ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
             "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT")  # fmt: skip
    return "\n".join(f"define( '{name}', '{name.lower()}-e2e-only' );" for name in names)


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory, mariadb: MariaDB) -> Iterator[WordPress]:
    """Debian's WordPress copied to a temporary root (its translations left out) with its own
    wp-config.php and the test-only WooCommerce stand-in, served by `php -S` with several
    workers: while the plugin waits on the server's answer to its activation, the server
    calls the site back."""
    root = tmp_path_factory.mktemp("wordpress") / "site"
    shutil.copytree(
        WORDPRESS, root, symlinks=True,
        ignore=lambda folder, _names: ["languages"] if folder.endswith("wp-content") else [],
    )  # fmt: skip
    port = free_port()
    url = f"http://localhost:{port}"
    (root / "wp-config.php").write_text(
        CONFIG.replace("{db_port}", str(mariadb.port))
        .replace("{url}", url)
        .replace("{keys}", _keys())
    )
    shutil.copytree(STANDIN, root / "wp-content" / "plugins" / "woocommerce")
    with open(root.parent / "php.log", "w") as log:
        server = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(root)],
            env={"PATH": "/usr/bin:/bin", "PHP_CLI_SERVER_WORKERS": "4"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/wp-login.php", status=None), "php -S")
        yield WordPress(url, root, mariadb)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its workers too: they outlive their parent
        server.wait(PATIENCE)


@dataclass(frozen=True)
class Wooxero:
    url: str
    app: Flask
    xero: RunningSandbox  # its own Xero sandbox, which knows this server's callback


@pytest.fixture(scope="module")
def wooxero(make_config, database_factory, redis_url: str) -> Iterator[Wooxero]:
    """The server on a free loopback port, its public URL that address, with a Xero sandbox
    that approves the Demo Company (NZ) at once."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = SandboxConfig(auto_approve=True, spec_path=xero_spec_path())
    config = config.with_redirect_uris([f"{url}/xero/callback"])
    with serve_in_thread(config) as xero:
        demo = {row["name"]: row["tenantId"] for row in requests.get(
            f"{xero.base_url}/_sandbox/tenants", timeout=HTTP_TIMEOUT).json()}["Demo Company (NZ)"]  # fmt: skip
        requests.post(
            f"{xero.base_url}/_sandbox/config",
            json={"auto_approve_tenants": [demo]},
            timeout=HTTP_TIMEOUT,
        ).raise_for_status()
        settings = make_config(
            database_factory(),
            server={"public_url": url},
            xero=xero_settings(xero.base_url),
            bridge={"challenge_timeout": 60},  # the most allowed: php -S answers while loaded
        )
        app = create_app(settings)
        with app.app_context():
            apply_migrations()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Wooxero(url, app, xero)
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
            Redis.from_url(redis_url).flushdb()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in Debian's headless Chromium; if the test fails, its last screen is saved.
    Tall enough for wp-admin pages with the embedded page: Chromium paints a cross-site
    iframe below the viewport blank in full-page screenshots."""
    viewport = {"width": 1280, "height": 1400}
    with chromium_page(request, ARTIFACTS / "failure.png", viewport=viewport) as page:
        yield page


@pytest.fixture
def screenshots() -> Iterator[Screenshot]:
    """Numbered full-page screenshots of each step, in artifacts/wordpress-e2e/."""
    with screenshot_folder(ARTIFACTS) as take:
        yield take
