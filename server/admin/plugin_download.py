"""System > Bridge plugin: the operator downloads the WordPress plugin as a zip, already
configured with this server's public URL and the terms and privacy links of the config."""

from __future__ import annotations

import io
import zipfile
from importlib.util import find_spec
from pathlib import Path

from flask import Response, send_file
from flask_admin import expose

from server.admin.access import SecureView
from server.extensions import current_config

SLUG = "sync-orders-with-xero"  # the plugin's folder, main file and text domain
NOT_CONFIGURED = "none was configured by the provider of this server"
LEFT_OUT = {  # not for WordPress
    "__init__.py",
    "__pycache__",
    "tests",
    "phpunit.xml.dist",
    ".phpunit.result.cache",
}


def plugin_directory() -> Path:
    spec = find_spec("server.plugin_bridge")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the bridge plugin is not installed with the server")
    return Path(next(iter(spec.submodule_search_locations)))


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def config_php() -> str:
    settings = current_config()
    bridge = settings.bridge
    return (
        "<?php\n"
        "/**\n * This server's address, written when the plugin was downloaded, and the app name\n"
        " * its WooCommerce keys are made under (the only keys the plugin ever deletes).\n *\n"
        " * @package WooxeroBridge\n */\n\n"
        "defined( 'ABSPATH' ) || exit;\n\n"
        f"define( 'WOOXERO_BRIDGE_SERVER_URL', {_php_string(settings.public_url)} );\n"
        f"define( 'WOOXERO_BRIDGE_TERMS_URL', {_php_string(bridge.terms_url)} );\n"
        f"define( 'WOOXERO_BRIDGE_PRIVACY_URL', {_php_string(bridge.privacy_url)} );\n"
        f"define( 'WOOXERO_BRIDGE_APP_NAME', {_php_string(settings.woocommerce.app_name)} );\n"
    )


def readme() -> str:
    settings = current_config()
    text = (plugin_directory() / "readme.txt").read_text()
    return (
        text.replace("__SERVER_URL__", settings.public_url)
        .replace("__TERMS_URL__", settings.bridge.terms_url or NOT_CONFIGURED)
        .replace("__PRIVACY_URL__", settings.bridge.privacy_url or NOT_CONFIGURED)
    )


def build_zip() -> bytes:
    """The plugin folder as WordPress installs it, with its `config.php`."""
    source = plugin_directory()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if path.is_dir() or LEFT_OUT & set(relative.parts) or relative.name == "config.php":
                continue
            content = readme() if relative.as_posix() == "readme.txt" else path.read_bytes()
            archive.writestr(f"{SLUG}/{relative.as_posix()}", content)
        archive.writestr(f"{SLUG}/config.php", config_php())
    return buffer.getvalue()


class PluginDownloadView(SecureView):
    @expose("/")
    def index(self) -> str:
        settings = current_config()
        return self.render(
            "admin/plugin.html", server_url=settings.public_url, slug=SLUG,
            terms_url=settings.bridge.terms_url, privacy_url=settings.bridge.privacy_url,
        )  # fmt: skip

    @expose("/download")
    def download(self) -> Response:
        return send_file(
            io.BytesIO(build_zip()), mimetype="application/zip", as_attachment=True,
            download_name=f"{SLUG}.zip",
        )  # fmt: skip
