"""`python -m server` runs the `wooxero` command (how `serve` starts its children)."""

from server.cli import main

if __name__ == "__main__":
    main()
