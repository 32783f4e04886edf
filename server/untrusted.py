"""What arrives from outside (request bodies and headers, webhook payloads, answers of stores
and sites) read with bounds, so bad input is refused with a reason rather than failing deep
inside a library or the database: json's parser raises RecursionError (not ValueError) on
deep nesting, `str.isdigit()` accepts digits such as "²" that `int()` then refuses, and
PostgreSQL refuses U+0000, a lone UTF-16 surrogate (which json reads from `\\ud800`) and
integers over 32 bits in INTEGER columns.

No Flask here: connectors use it too."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

INT32_MAX = 2**31 - 1  # the model's INTEGER columns (32 bits on PostgreSQL)
INT64_MAX = 2**63 - 1  # BIGINT, and WooCommerce's own ids
MAX_JSON_DEPTH = 64  # far more than any payload we read; far less than the recursion limit
_MAX_DIGITS = 32  # int() of a longer string is slow, and no bound here needs more
# In a parsed string: U+0000, or a surrogate (json pairs those that come in pairs).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In the text: what may parse to one of those (an escape, or a surrogate as such, which json
# reads from UTF-8 bytes too). An escaped backslash before `u` matches as well: then it is walked.
_MAY_BE_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\ud800-\udfff]")
_MAY_BE_UNSTORABLE_BYTES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


class UntrustedJSONError(ValueError):
    """JSON that cannot be used (see `loads`); the message says why."""


def ascii_int(text: str, *, minimum: int = 0, maximum: int = INT32_MAX) -> int | None:
    """`text` as an int if it is ASCII digits only and within [minimum, maximum]; else None."""
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def loads(data: bytes | str, *, parse_float: Callable[[str], Any] | None = None) -> Any:
    """Parse JSON from outside; UntrustedJSONError if it is not JSON, nests deeper than
    MAX_JSON_DEPTH, or holds what no database column takes: NaN or Infinity (not JSON
    either), the character U+0000 (PostgreSQL stores it neither in text nor in JSON), or a
    lone surrogate (no UTF-8 for it)."""
    try:
        value = json.loads(data, parse_float=parse_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise UntrustedJSONError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise UntrustedJSONError(f"not JSON ({error})") from None
    if not _plainly_fine(data):
        _check(value)
    return value


def _plainly_fine(data: bytes | str) -> bool:
    """Whether the text itself shows there is nothing to walk for (a scan in C, where the
    walk is Python): nothing in it can parse to what cannot be stored, and it cannot nest
    deeper than its count of opening brackets. Bytes in UTF-16 or 32, which json also
    reads, are walked."""
    if isinstance(data, str):
        return not _MAY_BE_UNSTORABLE.search(data) and (
            data.count("[") + data.count("{") <= MAX_JSON_DEPTH
        )
    if json.detect_encoding(data) != "utf-8":
        return False
    return not _MAY_BE_UNSTORABLE_BYTES.search(data) and (
        data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def has_nul(text: str) -> bool:
    """Whether `text` holds U+0000, which PostgreSQL cannot store or compare."""
    return "\x00" in text


def _unstorable(text: str) -> str:
    if has_nul(text):
        return "holding the character U+0000, which cannot be stored"
    return "holding a lone UTF-16 surrogate (U+D800 to U+DFFF), which cannot be stored"


def _check(value: Any) -> None:
    """Depth, U+0000 and lone surrogates, walked without recursion."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise UntrustedJSONError(_unstorable(item))
            continue
        if not isinstance(item, dict | list):
            continue
        if depth == MAX_JSON_DEPTH:
            raise UntrustedJSONError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)
