"""Input from outside read with bounds: JSON of bounded depth, ASCII integers in range."""

from __future__ import annotations

import pytest

from server.untrusted import INT32_MAX, MAX_JSON_DEPTH, UntrustedJSONError, ascii_int, loads


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_as_deep_as_the_limit_is_read():
    deepest: list = []
    for _ in range(MAX_JSON_DEPTH - 1):
        deepest = [deepest]
    assert loads(nested(MAX_JSON_DEPTH)) == deepest
    assert loads(b'{"a": [1, {"b": 2.5}]}') == {"a": [1, {"b": 2.5}]}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (nested(MAX_JSON_DEPTH + 1), "nested deeper than 64 levels"),
        ("[" * 100_000, "nested deeper than 64 levels"),
        ('{"a": ' * 50_000, "nested deeper than 64 levels"),
        ("[NaN]", "NaN is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        ("1" * 5000, "not JSON"),
        (b"\xff\xfe{", "not JSON"),
        ("{not json", "not JSON"),
        ('{"a": "x\\u0000y"}', "U\\+0000"),
        ('{"a\\u0000": 1}', "U\\+0000"),
        (b'{"a": "x\\u0000y"}', "U\\+0000"),
        ('{"a": "x\\u0000y"}'.encode("utf-16"), "U\\+0000"),
        (b'{"a": "\\ud800"}', "lone UTF-16 surrogate"),
        ('{"a": ["\\uDC00"]}', "lone UTF-16 surrogate"),
        (b'{"a": "\xed\xa0\x80"}', "lone UTF-16 surrogate"),
        ("[" * 40 + '"\\u0000"' + "]" * 40, "U\\+0000"),
    ],
)
def test_json_that_cannot_be_used_is_refused_with_the_reason(data, reason):
    with pytest.raises(UntrustedJSONError, match=reason):
        loads(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("[" + ",".join(["[]"] * 100) + "]", [[]] * 100),  # more brackets than the depth
        (b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}),  # a pair is a character
        (b'{"a": "\\\\u0000"}', {"a": "\\u0000"}),  # a backslash, then text
        ('{"a": "Ng\u0101ti"}'.encode(), {"a": "Ng\u0101ti"}),
    ],
)
def test_json_that_only_looks_doubtful_is_read(data, expected):
    assert loads(data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("42", 42), (str(INT32_MAX), INT32_MAX), ("007", 7)],
)
def test_ascii_digits_within_bounds_are_numbers(text, expected):
    assert ascii_int(text) == expected


@pytest.mark.parametrize(
    "text", ["", "²", "\u0661\u0662", "-1", "+1", " 1", "1 ", "1.0", str(INT32_MAX + 1), "9" * 5000]
)
def test_anything_else_is_none(text):
    assert ascii_int(text) is None


def test_the_bounds_are_the_callers():
    assert ascii_int("0", minimum=1) is None
    assert ascii_int(str(2**40), maximum=2**63 - 1) == 2**40
