"""JSON bytes exactly as PHP's ``wp_json_encode`` writes them (default flags).

PHP escapes ``/`` as ``\\/`` and every non-ASCII character as a lowercase ``\\uXXXX`` escape,
and writes no spaces. Python's ``json.dumps`` with ``ensure_ascii`` matches everything else.
"""

from __future__ import annotations

import json
from typing import Any


def encode(value: Any) -> bytes:
    """``trim( wp_json_encode( $value ) )`` as bytes."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("/", "\\/").encode("ascii")
