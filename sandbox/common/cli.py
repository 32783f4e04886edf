"""``python -m sandbox.<name>``: the options every sandbox takes, and serving until interrupted."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from flask import Flask
from werkzeug.serving import run_simple


def parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A parser with ``--port`` (required) and ``--host``; the sandbox adds its own options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def apply_options(args: argparse.Namespace, config: Any) -> None:
    """Copy every option given on the command line onto the config field of the same name
    (an option left out is None and keeps the config's default)."""
    for field in dataclasses.fields(config):
        value = getattr(args, field.name, None)
        if value is not None:
            setattr(config, field.name, value)


def serve(app: Flask, host: str, port: int) -> int:
    """Serve ``app`` (threaded) in the foreground until interrupted; the exit status."""
    run_simple(host, port, app, threaded=True)
    return 0
