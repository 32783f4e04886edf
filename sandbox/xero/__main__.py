"""``python -m sandbox.xero``: serve the sandbox until interrupted."""

from __future__ import annotations

import argparse
import sys

from ..common import cli
from .api.spec import SpecUnavailableError
from .app import create_app
from .config import ClientApp, SandboxConfig


def _parser() -> argparse.ArgumentParser:
    parser = cli.parser("python -m sandbox.xero", __doc__)
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
    parser.add_argument("--client-id", default="wooxero-sandbox")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--spec")
    parser.add_argument("--minute-limit", type=int)
    parser.add_argument("--minute-window", type=float, dest="minute_window_seconds")
    parser.add_argument("--concurrent-limit", type=int)
    parser.add_argument("--daily-limit", type=int)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-key")
    parser.add_argument("--error-rate", type=float)
    parser.add_argument("--throttle-rate", type=float)
    parser.add_argument("--throttle-retry-after", type=int)
    parser.add_argument("--server-error-rate", type=float)
    parser.add_argument("--latency-spike-rate", type=float)
    parser.add_argument("--latency-spike-ms", type=int)
    parser.add_argument("--latency-ms", type=int)
    parser.add_argument("--drop-response-rate", type=float)
    parser.add_argument("--seed", type=int)
    return parser


def config_from_args(argv: list[str] | None) -> tuple[SandboxConfig, str, int]:
    """The config, host and port a command line asks for (None: this process's)."""
    args = _parser().parse_args(argv)
    config = SandboxConfig(
        clients={args.client_id: ClientApp(args.client_secret, tuple(args.redirect_uris))}
    )
    if args.spec:
        config.spec_path = args.spec
    cli.apply_options(args, config)
    return config, args.host, args.port


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    config, host, port = config_from_args(argv)
    try:
        app = create_app(config)
    except SpecUnavailableError as exc:
        print(f"sandbox.xero: {exc}", file=sys.stderr)
        return 2
    if config.spec_path is None:
        print(
            "sandbox.xero: no OpenAPI spec given (--spec or XERO_OPENAPI_SPEC): requests are "
            "checked by the sandbox's own rules only",
            file=sys.stderr,
        )
    return cli.serve(app, host, port)


if __name__ == "__main__":
    sys.exit(main())
