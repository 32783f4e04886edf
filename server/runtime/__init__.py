"""Process-level runtime: keys on disk, the embedded Redis, gunicorn, the `serve` supervisor."""
