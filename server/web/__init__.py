"""Everything that answers HTTP, besides the operators' admin panel (`server.admin`): the
bridge plugin's signed API, the store dashboard (pages, JSON API, connect routes), webhook
intake, operator login, health probes, monitoring (metrics, the stores' health). Web code
validates, stores and enqueues; the work itself runs in jobs (`server.jobs`) over the
use-case packages."""

from __future__ import annotations

from flask import Flask

from server.extensions import login_manager


def register_blueprints(app: Flask) -> None:
    from server.web import auth, bridge, health, monitoring, webhooks
    from server.web.dashboard import api, connect, pages

    login_manager.user_loader(auth.load_operator)
    for blueprint in (
        health.bp, monitoring.bp, auth.bp, connect.bp, webhooks.bp, api.bp, bridge.bp, pages.bp,
    ):  # fmt: skip
        app.register_blueprint(blueprint)
