"""The bridge plugin's PHP: every file parses (`php -l`), guards against direct loading, and
signs calls and answers challenges exactly as the server checks them."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
import subprocess
import zipfile
from pathlib import Path

import pytest

from server.connectors.woocommerce.bridge import proof
from server.web.bridge.signing import sign
from tests.conftest import PUBLIC_URL
from tests.support.xero import signed_in_operator as signed_in

PLUGIN = Path(__file__).resolve().parents[2] / "plugin_bridge"
PHP_FILES = sorted(p for p in PLUGIN.rglob("*.php") if "tests" not in p.relative_to(PLUGIN).parts)


def _php(code: str) -> str:
    done = subprocess.run(
        ["php", "-r", code], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(PLUGIN)))
def test_every_php_file_parses_and_refuses_direct_loading(path: Path) -> None:
    linted = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True, timeout=30)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    source = path.read_text()
    assert "defined( 'ABSPATH' ) || exit;" in source


def test_the_plugins_phpunit_suite_passes() -> None:
    """Signing and the payloads, in PHP (Debian's phpunit)."""
    done = subprocess.run(
        ["phpunit", "-c", str(PLUGIN / "phpunit.xml.dist")], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK (" in done.stdout


def test_the_plugin_header_declares_what_wordpress_and_woocommerce_check() -> None:
    header = (PLUGIN / "wooxero-bridge.php").read_text()
    for field in (
        "Requires Plugins:     woocommerce", "Requires at least:    6.1", "Requires PHP:         7.4",
        "WC requires at least:", "WC tested up to:", "Text Domain:          wooxero-bridge",
    ):  # fmt: skip
        assert field in header
    assert "custom_order_tables" in header and "cart_checkout_blocks" in header


def test_every_translatable_string_uses_the_plugins_text_domain() -> None:
    calls = re.compile(
        r"(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*'[^']*',\s*'([^']+)'"
    )
    domains = {domain for path in PHP_FILES for domain in calls.findall(path.read_text())}
    assert domains == {"wooxero-bridge"}


def _msgids(pot: Path) -> set[str]:
    """The msgids of a .po/.pot file, continuation lines joined (the header's empty one out)."""
    ids, current = set(), None
    for line in [*pot.read_text().splitlines(), ""]:
        if line.startswith("msgid "):
            current = line[len("msgid ") :].strip('"')
        elif current is not None and line.startswith('"'):
            current += line.strip('"')
        elif current is not None:
            ids.add(current)
            current = None
    return ids - {""}


def test_the_translation_template_holds_every_string(project_root, tmp_path) -> None:
    """`make pot` run now gives the committed template's strings: none missing, none stale."""
    fresh = tmp_path / "fresh.pot"
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "pot", f"POT={fresh}"], cwd=project_root,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    committed = _msgids(PLUGIN / "languages" / "wooxero-bridge.pot")
    assert _msgids(fresh) == committed
    assert "I Agree — Set Up My Account" in committed and len(committed) > 20


@pytest.mark.parametrize("body", ["", '{"target":"main"}', json.dumps({"erase": True})])
def test_the_plugin_signs_calls_as_the_server_verifies_them(body: str) -> None:
    secret, nonce = secrets.token_urlsafe(32), secrets.token_hex(16)
    args = json.dumps([secret, "post", "/api/bridge/v1/embed", "1700000000", nonce, body])
    php = _php(
        f"define('ABSPATH', '/'); require '{PLUGIN}/includes/class-wooxero-bridge-signer.php';"
        f"echo Wooxero_Bridge_Signer::sign(...json_decode('{args}', true));"
    )
    assert php == sign(secret, "post", "/api/bridge/v1/embed", "1700000000", nonce, body.encode())
    message = "\n".join(
        [
            "POST",
            "/api/bridge/v1/embed",
            "1700000000",
            nonce,
            hashlib.sha256(body.encode()).hexdigest(),
        ]
    )
    assert php == hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_the_plugin_answers_the_challenge_as_the_server_expects() -> None:
    challenge, nonce = secrets.token_hex(32), secrets.token_hex(16)
    php = _php(f"echo hash_hmac('sha256', '{nonce}', '{challenge}');")
    source = (PLUGIN / "includes" / "class-wooxero-bridge-challenge.php").read_text()
    assert "hash_hmac( 'sha256', (string) $request['nonce'], $challenge )" in source
    assert php == proof(challenge, nonce)


def test_the_operator_downloads_the_plugin_configured_for_this_server(client, tmp_path) -> None:
    signed_in(client)
    answer = client.get("/admin/plugin/download")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path)
    assert "wooxero-bridge/wooxero-bridge.php" in names
    assert "wooxero-bridge/uninstall.php" in names and "wooxero-bridge/readme.txt" in names
    assert "wooxero-bridge/languages/wooxero-bridge.pot" in names
    assert not [n for n in names if n.endswith(".py") or "__pycache__" in n or "/tests/" in n]
    assert "wooxero-bridge/phpunit.xml.dist" not in names
    config = tmp_path / "wooxero-bridge" / "config.php"
    assert f"define( 'WOOXERO_BRIDGE_SERVER_URL', '{PUBLIC_URL}' );" in config.read_text()
    assert (
        subprocess.run(["php", "-l", str(config)], capture_output=True, timeout=30).returncode == 0
    )
    readme = (tmp_path / "wooxero-bridge" / "readme.txt").read_text()
    assert PUBLIC_URL in readme and "__" + "SERVER_URL__" not in readme
    assert client.get("/admin/plugin/").status_code == 200


def test_the_download_is_for_operators_only(client) -> None:
    answer = client.get("/admin/plugin/download")
    assert answer.status_code in (302, 401, 403)
