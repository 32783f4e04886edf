"""``python -m sandbox.woocommerce``: serve the sandbox store until interrupted."""

from __future__ import annotations

import argparse
import sys

from werkzeug.serving import run_simple

from .app import create_app
from .config import StoreConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox.woocommerce", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--site-url", help="the store's public URL (default: http://HOST:PORT)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--products", type=int)
    parser.add_argument("--consumer-key")
    parser.add_argument("--consumer-secret")
    parser.add_argument("--auto-approve", action="store_true", default=None)
    parser.add_argument("--allow-http-callback", action="store_true", default=None)
    parser.add_argument("--delivery-delay", type=float, dest="delivery_delay_seconds")
    parser.add_argument("--error-rate", type=float)
    parser.add_argument("--latency-ms", type=int)
    return parser


def config_from_args(argv: list[str]) -> tuple[StoreConfig, str, int]:
    """The config, host and port a command line asks for."""
    args = _parser().parse_args(argv)
    config = StoreConfig()
    for name in (
        "site_url",
        "seed",
        "orders",
        "customers",
        "products",
        "consumer_key",
        "consumer_secret",
        "auto_approve",
        "allow_http_callback",
        "delivery_delay_seconds",
        "error_rate",
        "latency_ms",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    return config, args.host, args.port


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    config, host, port = config_from_args(sys.argv[1:] if argv is None else argv)
    app = create_app(config, f"http://{host}:{port}")
    run_simple(host, port, app, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
