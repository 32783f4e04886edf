"""``python -m sandbox.woocommerce``: serve the sandbox store until interrupted."""

from __future__ import annotations

import argparse
import sys

from ..common import cli
from .app import create_app
from .config import PRINCE_EDWARD_ISLAND_RATES, StoreConfig


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("python -m sandbox.woocommerce", __doc__)
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
    parser.add_argument(
        "--compound-rate",
        action="store_true",
        help="add Prince Edward Island's GST and compound PST to the tax rates",
    )
    return parser


def config_from_args(argv: list[str] | None) -> tuple[StoreConfig, str, int]:
    """The config, host and port a command line asks for (None: this process's)."""
    args = _parser().parse_args(argv)
    config = StoreConfig()
    cli.apply_options(args, config)
    if args.compound_rate:
        config.tax_rates = (*config.tax_rates, *PRINCE_EDWARD_ISLAND_RATES)
    return config, args.host, args.port


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    config, host, port = config_from_args(argv)
    return cli.serve(create_app(config, f"http://{host}:{port}"), host, port)


if __name__ == "__main__":
    sys.exit(main())
