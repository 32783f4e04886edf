"""Request parameters the way PHP and the WordPress REST schema see them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from ..php import dates
from .errors import invalid_params

_BRACKETS = re.compile(r"^([^\[]+)((?:\[[^\]]*\])+)$")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


def php_query(query: str) -> dict[str, Any]:
    """``parse_str``: the last value wins; ``a[]=1&a[]=2`` and ``a[k]=v`` build arrays."""
    result: dict[str, Any] = {}
    for raw_key, value in parse_qsl(query, keep_blank_values=True):
        match = _BRACKETS.match(raw_key)
        base = (match.group(1) if match else raw_key).replace(".", "_").replace(" ", "_")
        if not match:
            result[base] = value
            continue
        keys = re.findall(r"\[([^\]]*)\]", match.group(2))
        container = result.get(base)
        if not isinstance(container, dict):
            container = {}
            result[base] = container
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if key == "":
                key = str(len(container))
            if last:
                container[key] = value
            else:
                container = container.setdefault(key, {})
    return {k: _listify(v) for k, v in result.items()}


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        items = {k: _listify(v) for k, v in value.items()}
        if all(k.isdigit() for k in items) and sorted(int(k) for k in items) == list(
            range(len(items))
        ):
            return [items[str(i)] for i in range(len(items))]
        return items
    return value


def _sprintf_l(options: list[str]) -> str:
    if len(options) <= 1:
        return "".join(options)
    if len(options) == 2:
        return f"{options[0]} and {options[1]}"
    return ", ".join(options[:-1]) + ", and " + options[-1]


def is_integer(value: Any) -> bool:
    """``rest_is_integer``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.0*)?\s*", value) is not None


class Params:
    """Reads and validates parameters, collecting WordPress's error messages."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.problems: dict[str, tuple[str, str]] = {}

    def has(self, name: str) -> bool:
        """Whether the parameter was sent."""
        return name in self.values

    def raw(self, name: str, default: Any = None) -> Any:
        """The value as sent."""
        return self.values.get(name, default)

    def string(self, name: str, default: str = "") -> str:
        """A string parameter."""
        value = self.values.get(name, default)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problems[name] = ("rest_invalid_type", f"{name} is not of type string.")
            return default
        return str(value)

    def integer(
        self, name: str, default: int | None, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer parameter with optional bounds."""
        if name not in self.values:
            return default
        value = self.values[name]
        if not is_integer(value):
            self.problems[name] = ("rest_invalid_type", f"{name} is not of type integer.")
            return default
        number = int(float(value))
        low = minimum is not None and number < minimum
        high = maximum is not None and number > maximum
        if low or high:
            if minimum is not None and maximum is not None:
                message = f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
            elif minimum is not None:
                message = f"{name} must be greater than or equal to {minimum}"
            else:
                message = f"{name} must be less than or equal to {maximum}"
            self.problems[name] = ("rest_out_of_bounds", message)
            return default
        return number

    def enum(self, name: str, default: str, options: tuple[str, ...]) -> str:
        """A string restricted to ``options``."""
        value = self.values.get(name, default)
        if value not in options:
            self.problems[name] = (
                "rest_not_in_enum",
                f"{name} is not one of {_sprintf_l(list(options))}.",
            )
            return default
        return str(value)

    def boolean(self, name: str, default: bool) -> bool:
        """``rest_sanitize_boolean`` after ``rest_is_boolean`` validation."""
        value = self.values.get(name, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        text = str(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.problems[name] = ("rest_invalid_type", f"{name} is not of type boolean.")
        return default

    def id_list(self, name: str) -> list[int]:
        """``wp_parse_id_list``: array or comma/space separated list of absolute integers."""
        value = self.values.get(name, [])
        items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value))
        return [abs(int(float(i))) for i in items if str(i).strip() and is_integer(str(i))]

    def string_list(self, name: str, default: list[str], options: tuple[str, ...]) -> list[str]:
        """An array of enum strings (``wp_parse_list``); problems name ``name[i]``."""
        value = self.values.get(name)
        if value is None:
            return list(default)
        items = (
            value if isinstance(value, list) else [p for p in re.split(r"[\s,]+", str(value)) if p]
        )
        for index, item in enumerate(items):
            if item not in options:
                self.problems[name] = (
                    "rest_not_in_enum",
                    f"{name}[{index}] is not one of {_sprintf_l(list(options))}.",
                )
                return list(default)
        return [str(i) for i in items]

    def date(self, name: str) -> datetime | None:
        """A ``date-time`` parameter as a naive wall clock."""
        if name not in self.values:
            return None
        parsed = dates.parse_param(str(self.values[name]))
        if parsed is None:
            self.problems[name] = ("rest_invalid_date", "Invalid date.")
        return parsed

    def check(self) -> None:
        """Raise ``rest_invalid_param`` if anything was wrong."""
        if self.problems:
            raise invalid_params(self.problems)
