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
from server.extensions import CONFIG_KEY, current_config
from server.web.bridge.signing import sign
from tests.conftest import PUBLIC_URL
from tests.support.xero import signed_in_operator as signed_in

PLUGIN = Path(__file__).resolve().parents[2] / "plugin_bridge"
SLUG = "sync-orders-with-xero"  # folder, main file and text domain
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
    header = (PLUGIN / f"{SLUG}.php").read_text()
    for field in (
        "Requires Plugins:     woocommerce", "Requires at least:    6.1", "Requires PHP:         7.4",
        "WC requires at least:", "WC tested up to:", f"Text Domain:          {SLUG}",
    ):  # fmt: skip
        assert field in header
    assert "custom_order_tables" in header and "cart_checkout_blocks" in header


def _field(text: str, name: str) -> str:
    (value,) = re.findall(rf"^[ *]*{re.escape(name)}:\s*(.+)$", text, re.MULTILINE)
    return value.strip()


def test_the_version_and_wordpress_versions_agree_everywhere() -> None:
    """The header, the constant and the readme carry one version; WordPress 7.1 (the release
    current on 2026-12-03) is the one tested up to; 6.1, which the e2e test runs, the least."""
    main, readme = (PLUGIN / f"{SLUG}.php").read_text(), (PLUGIN / "readme.txt").read_text()
    version = _field(main, "Version")
    assert f"define( 'WOOXERO_BRIDGE_VERSION', '{version}' );" in main
    assert _field(readme, "Stable tag") == version and f"= {version} =" in readme
    assert _field(readme, "Tested up to") == "7.1"
    assert _field(readme, "Requires at least") == _field(main, "Requires at least") == "6.1"


# Plugin Check's trademark rule (WordPress/plugin-check, Trademarks_Check): terms a slug or
# name may not begin with (ending in "-"), terms it may not contain at all, and "woo" as the
# start of a portmanteau. Only the entries that could concern this plugin are copied.
BEGINS = ("woo-", "wo-", "wp-", "woocom-", "xero-")
CONTAINS = ("plugin", "wordpress", "woocommerce", "woocomerce", "woo-commerce", "vvoo")


def _names() -> list[str]:
    """The slug, the header's Plugin Name and the readme's title."""
    header = (PLUGIN / f"{SLUG}.php").read_text()
    title = (PLUGIN / "readme.txt").read_text().splitlines()[0].strip("= ")
    return [SLUG, _field(header, "Plugin Name"), title]


@pytest.mark.parametrize("name", _names())
def test_the_slug_and_names_pass_the_directorys_trademark_rule(name: str) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")  # as sanitize_title_with_dashes
    assert not slug.startswith(BEGINS) and not slug.startswith("woo")
    assert not [term for term in CONTAINS if term in slug]
    assert slug.startswith("sync-orders-with-xero")


def test_no_translation_is_loaded_by_hand_nor_made_before_init() -> None:
    """WordPress loads a directory plugin's translations itself; a translation call while
    the plugin loads (before `init`) makes WordPress 6.7+ warn."""
    sources = {path: path.read_text() for path in PHP_FILES}
    assert not [p for p, text in sources.items() if "load_plugin_textdomain" in text]
    main = sources[PLUGIN / f"{SLUG}.php"]
    assert not re.search(r"\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(", main)


def test_every_translatable_string_uses_the_plugins_text_domain() -> None:
    calls = re.compile(
        r"(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*'[^']*',\s*'([^']+)'"
    )
    domains = {domain for path in PHP_FILES for domain in calls.findall(path.read_text())}
    assert domains == {SLUG}


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
    committed = _msgids(PLUGIN / "languages" / f"{SLUG}.pot")
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


def _download(client, tmp_path: Path) -> tuple[set[str], Path]:
    signed_in(client)
    answer = client.get("/admin/plugin/download")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f"filename={SLUG}.zip" in answer.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        archive.extractall(tmp_path)
        return set(archive.namelist()), tmp_path / SLUG


def test_the_operator_downloads_the_plugin_configured_for_this_server(client, tmp_path) -> None:
    names, folder = _download(client, tmp_path)
    for name in (f"{SLUG}.php", "uninstall.php", "readme.txt", f"languages/{SLUG}.pot",
                 "includes/class-wooxero-bridge-keys.php"):  # fmt: skip
        assert f"{SLUG}/{name}" in names
    assert not [n for n in names if not n.startswith(f"{SLUG}/")]
    assert not [n for n in names if n.endswith(".py") or "__pycache__" in n or "/tests/" in n]
    assert f"{SLUG}/phpunit.xml.dist" not in names
    config = folder / "config.php"
    assert f"define( 'WOOXERO_BRIDGE_SERVER_URL', '{PUBLIC_URL}' );" in config.read_text()
    assert (
        subprocess.run(["php", "-l", str(config)], capture_output=True, timeout=30).returncode == 0
    )
    readme = (folder / "readme.txt").read_text()
    assert PUBLIC_URL in readme and "__" + "SERVER_URL__" not in readme
    # No terms or privacy policy configured here: the readme says so, never "ask".
    assert "Terms of service: none was configured by the provider of this server" in readme
    assert "Privacy policy: none was configured by the provider of this server" in readme
    assert "ask your provider" not in readme
    page = client.get("/admin/plugin/")
    assert page.status_code == 200 and f"Download {SLUG}.zip" in page.get_data(as_text=True)


def test_the_readme_links_the_terms_and_privacy_policy_configured(
    client, app, monkeypatch, tmp_path
) -> None:
    terms, privacy = "https://sync.example.com/terms", "https://sync.example.com/privacy"
    settings = current_config()
    bridge = settings.bridge.model_copy(update={"terms_url": terms, "privacy_url": privacy})
    monkeypatch.setitem(app.extensions, CONFIG_KEY, settings.model_copy(update={"bridge": bridge}))
    _names, folder = _download(client, tmp_path)
    readme = (folder / "readme.txt").read_text()
    assert f"Terms of service: {terms}\nPrivacy policy: {privacy}\n" in readme
    config = (folder / "config.php").read_text()
    assert f"define( 'WOOXERO_BRIDGE_PRIVACY_URL', '{privacy}' );" in config
    app_name = settings.woocommerce.app_name  # the only keys the plugin may ever delete
    assert f"define( 'WOOXERO_BRIDGE_APP_NAME', '{app_name}' );" in config


def test_the_download_is_for_operators_only(client) -> None:
    answer = client.get("/admin/plugin/download")
    assert answer.status_code in (302, 401, 403)
