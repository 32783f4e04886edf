"""WordPress's ``_fields`` global parameter (``rest_filter_response_fields``, WP ≥ 5.3).

Sourced (wp-includes/rest-api.php): ``_fields`` is split like ``wp_parse_list`` (commas and
whitespace; an array is taken as is); each entry is a top-level key or a dotted path
(``billing.email``), and a parent already asked for wins over its sub-paths. A list
response is filtered item by item, anything else as one object, by recursive key
intersection (``_rest_array_intersect_key_recursive``): a path into a list keeps the list
items whose *index* is named, so ``line_items.name`` gives ``[]``. Error responses are never
filtered. The ``_links`` of a single object are response links that ``response_to_data``
adds after the filter, so they stay; in a list they are part of each item's data and go
unless asked for. An emptied object is a PHP empty array and so encodes as ``[]``.
"""

from __future__ import annotations

import re
from typing import Any

Spec = dict[str, Any]
"""Accepted keys: ``True`` keeps the whole value, a nested spec keeps part of it."""


def parse_fields(raw: Any) -> list[str]:
    """``wp_parse_list`` then ``trim``: the requested field paths (may be empty)."""
    if isinstance(raw, dict):
        raw = list(raw.values())
    if isinstance(raw, list):
        return [str(v).strip() for v in raw if not isinstance(v, (dict, list))]
    return [part for part in re.split(r"[\s,]+", str(raw)) if part]


def keyed(fields: list[str]) -> Spec:
    """The nested spec of accepted keys, built as WordPress builds ``$fields_as_keyed``."""
    spec: Spec = {}
    for field in fields:
        parts = field.split(".")
        ref = spec
        skipped = False
        for part in parts[:-1]:
            if ref.get(part) is True:
                skipped = True  # the parent is already included whole
                break
            nested = ref.get(part)
            if not isinstance(nested, dict):
                nested = {}
                ref[part] = nested
            ref = nested
        if not skipped:
            ref[parts[-1]] = True
    return spec


def _intersect(value: Any, spec: Spec) -> Any:
    """``_rest_array_intersect_key_recursive`` on a JSON value."""
    if isinstance(value, dict):
        kept = {k: v for k, v in value.items() if k in spec}
        out = {
            k: _intersect(v, spec[k]) if isinstance(spec[k], dict) else v for k, v in kept.items()
        }
        return out if out else []
    if isinstance(value, list):
        kept_items = [
            (i, _intersect(v, spec[str(i)]) if isinstance(spec[str(i)], dict) else v)
            for i, v in enumerate(value)
            if str(i) in spec
        ]
        if [i for i, _ in kept_items] == list(range(len(kept_items))):
            return [v for _, v in kept_items]
        return {str(i): v for i, v in kept_items}
    return value


def filter_fields(data: Any, raw: Any) -> Any:
    """The response data trimmed to ``_fields`` (``raw`` is the parameter as sent)."""
    fields = parse_fields(raw)
    if not fields:
        return data
    spec = keyed(fields)
    if isinstance(data, list):
        return [_intersect(item, spec) if isinstance(item, dict) else item for item in data]
    if isinstance(data, dict):
        links = data.get("_links")
        filtered = _intersect(data, spec)
        if links is not None:
            filtered = dict(filtered) if isinstance(filtered, dict) else {}
            filtered["_links"] = links
        return filtered
    return data
