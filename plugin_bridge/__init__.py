"""Installed as `server.plugin_bridge` so the server can build the plugin's zip; this file is
left out of the zip."""
