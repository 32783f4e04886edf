"""Xero's ``where`` filter and ``order`` clause (a Dynamic-LINQ-like expression language).

Supported: ``==``, ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``AND``/``&&``, ``OR``/``||``,
``NOT``/``!``, parentheses, dotted fields (``Contact.ContactID``), strings in double quotes
(``""`` inside a string is one quote), numbers, ``true``/``false``/``null``, ``Guid("…")``,
``DateTime(y, m, d[, h, mi, s])``, ``DateTime.Parse("…")`` and the string methods
``Contains``, ``StartsWith``, ``EndsWith``, ``ToLower``, ``ToUpper``, ``Trim`` and ``ToString``.

Assumptions: field names are matched case-insensitively, and string comparisons are
case-insensitive (Xero documents its optimised ``Name``/``EmailAddress`` filters as
case-insensitive and its database collation behaves so); comparing a boolean or number field
with a string literal is rejected the way Xero reports it ("Operator '==' incompatible with
operand types 'Boolean' and 'String'"); an unknown field gives "No property or field 'X'
exists in type 'Invoice'". Errors are raised as :class:`QueryParseError` and answered as
Xero's ``QueryParseException`` (ErrorNumber 16). Field names and types come from Xero's OpenAPI
spec; without it (see ``spec.SpecValidator``) a field is looked up in the row as named, an
unknown one is null, and no type mismatch is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
Schemas = dict[str, dict[str, Any]]
Predicate = Callable[[Row], bool]
Getter = Callable[[Row], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|>=|<=|&&|\|\||[=<>!(),.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"==", "=", "!=", "<", ">", "<=", ">="}
_STRING_METHODS = {"contains", "startswith", "endswith", "tolower", "toupper", "trim", "tostring"}
_TYPE_NAMES = {"boolean": "Boolean", "number": "Decimal", "integer": "Int32"}


class QueryParseError(ValueError):
    """A malformed ``where`` or ``order`` expression."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class _Operand:
    get: Getter
    static_type: str | None = None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if not match or match.end() == position:
            raise QueryParseError(f"Syntax error '{stripped[position:].strip()[:1]}'")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _lookup(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        return None
    if name in value:
        return value[name]
    lowered = name.lower()
    for key, item in value.items():
        if key.lower() == lowered:
            return item
    return None


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _compare(operator: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        if operator in {"==", "="}:
            return left is None and right is None
        if operator == "!=":
            return not (left is None and right is None)
        return False
    a, b = _comparable(left), _comparable(right)
    try:
        if operator in {"==", "="}:
            return bool(a == b)
        if operator == "!=":
            return bool(a != b)
        if operator == "<":
            return bool(a < b)
        if operator == ">":
            return bool(a > b)
        if operator == "<=":
            return bool(a <= b)
        return bool(a >= b)
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, schemas: Schemas, root: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.schemas = schemas
        self.root = root

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise QueryParseError("Expression expected")
        self.index += 1
        return token

    def accept(self, *texts: str) -> bool:
        token = self.peek()
        if (
            token
            and token.kind in {"op", "name"}
            and (token.text in texts or token.text.upper() in texts)
        ):
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        token = self.peek()
        if token is None or token.text != text:
            raise QueryParseError(f"'{text}' expected")
        self.index += 1

    def parse(self) -> Predicate:
        if not self.tokens:
            raise QueryParseError("Expression expected")
        expression = self.or_expression()
        if self.peek() is not None:
            raise QueryParseError(f"Syntax error '{self.peek().text}'")  # type: ignore[union-attr]
        return expression

    def or_expression(self) -> Predicate:
        parts = [self.and_expression()]
        while self.accept("OR", "||"):
            parts.append(self.and_expression())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def and_expression(self) -> Predicate:
        parts = [self.not_expression()]
        while self.accept("AND", "&&"):
            parts.append(self.not_expression())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def not_expression(self) -> Predicate:
        if self.accept("NOT", "!"):
            inner = self.not_expression()
            return lambda row: not inner(row)
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        token = self.peek()
        if token is None or token.text not in _COMPARISONS:
            return lambda row: bool(left.get(row))
        operator = self.take().text
        right = self.operand()
        self._check_types(operator, left, right)
        return lambda row: _compare(operator, left.get(row), right.get(row))

    @staticmethod
    def _check_types(operator: str, left: _Operand, right: _Operand) -> None:
        types = {left.static_type, right.static_type}
        if "String" in types and types & {"Boolean", "Decimal", "Int32"}:
            a = left.static_type or "Object"
            b = right.static_type or "Object"
            raise QueryParseError(
                f"Operator '{operator}' incompatible with operand types '{a}' and '{b}'"
            )

    def operand(self) -> _Operand:
        token = self.take()
        if token.kind == "string":
            value = token.text[1:-1].replace('""', '"')
            return self.postfix(_Operand(lambda row: value, "String"))
        if token.kind == "number":
            number = Decimal(token.text)
            return _Operand(lambda row: number, "Decimal")
        if token.kind == "op" and token.text == "(":
            inner = self.or_expression()
            self.expect(")")
            return _Operand(inner, "Boolean")
        if token.kind != "name":
            raise QueryParseError(f"Expression expected at '{token.text}'")
        word = token.text
        if word.lower() in {"true", "false"}:
            flag = word.lower() == "true"
            return _Operand(lambda row: flag, "Boolean")
        if word.lower() == "null":
            return _Operand(lambda row: None)
        if word == "Guid" and self._next_is("("):
            return self.guid()
        if word == "DateTime" and (self._next_is("(") or self._next_is(".")):
            return self.datetime_literal()
        return self.postfix(self.field(word))

    def _next_is(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.text == text

    def guid(self) -> _Operand:
        self.expect("(")
        token = self.take()
        if token.kind != "string":
            raise QueryParseError("Guid literal expected")
        self.expect(")")
        value = token.text[1:-1]
        return _Operand(lambda row: value, "Guid")

    def datetime_literal(self) -> _Operand:
        if self.accept("."):
            method = self.take()
            if method.text != "Parse":
                raise QueryParseError(
                    f"No applicable method '{method.text}' exists in type 'DateTime'"
                )
            self.expect("(")
            token = self.take()
            self.expect(")")
            try:
                parsed = datetime.fromisoformat(token.text.strip('"'))
            except ValueError as exc:
                raise QueryParseError("String was not recognized as a valid DateTime.") from exc
            return _Operand(lambda row: parsed, "DateTime")
        self.expect("(")
        parts: list[int] = []
        while True:
            token = self.take()
            if token.kind != "number":
                raise QueryParseError("Integer literal expected")
            parts.append(int(token.text))
            if not self.accept(","):
                break
        self.expect(")")
        if len(parts) not in {3, 6}:
            raise QueryParseError(
                f"No applicable constructor exists in type 'DateTime' ({len(parts)} arguments)"
            )
        try:
            value = datetime(*parts)
        except ValueError as exc:
            raise QueryParseError(
                "Year, Month, and Day parameters describe an un-representable DateTime."
            ) from exc
        return _Operand(lambda row: value, "DateTime")

    def _member_ahead(self) -> str | None:
        """The name after the next ".", unless that is a method call or nothing follows."""
        if not self._next_is("."):
            return None
        member = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if member is None or member.text.lower() in _STRING_METHODS or member.kind != "name":
            return None
        if self.index + 2 < len(self.tokens) and self.tokens[self.index + 2].text == "(":
            return None
        return member.text

    def _untyped_field(self, name: str) -> _Operand:
        """A field of a type without a schema (no spec): its members followed, type unknown."""
        getter: Getter = lambda row: _lookup(row, name)  # noqa: E731
        while (member := self._member_ahead()) is not None:
            self.take()
            self.take()
            getter = _member(getter, member)
        return _Operand(getter)

    def field(self, name: str) -> _Operand:
        if self.root not in self.schemas:
            return self._untyped_field(name)
        properties = self.schemas[self.root]
        match = next((p for p in properties if p.lower() == name.lower()), None)
        if match is None:
            raise QueryParseError(f"No property or field '{name}' exists in type '{self.root}'")
        schema = properties[match]
        static = _TYPE_NAMES.get(schema.get("type", ""))
        if schema.get("type") == "string" and schema.get("format") != "uuid":
            static = "String"
        getter: Getter = lambda row: _lookup(row, match)  # noqa: E731
        reference = schema.get("$ref", "").rsplit("/", 1)[-1]
        while reference and (member := self._member_ahead()) is not None:
            self.take()
            self.take()
            getter = _member(getter, member)
            nested = self.schemas.get(reference, {})
            sub = next((p for p in nested if p.lower() == member.lower()), None)
            if sub is None:
                raise QueryParseError(
                    f"No property or field '{member}' exists in type '{reference}'"
                )
            reference = nested[sub].get("$ref", "").rsplit("/", 1)[-1]
            static = _TYPE_NAMES.get(nested[sub].get("type", ""), static if not reference else None)
            if nested[sub].get("type") == "string" and nested[sub].get("format") != "uuid":
                static = "String"
        return _Operand(getter, static)

    def postfix(self, operand: _Operand) -> _Operand:
        while self.accept("."):
            method = self.take().text
            if method.lower() not in _STRING_METHODS:
                raise QueryParseError(f"No applicable method '{method}' exists in type 'String'")
            self.expect("(")
            arguments: list[_Operand] = []
            if not self.accept(")"):
                arguments.append(self.operand())
                while self.accept(","):
                    arguments.append(self.operand())
                self.expect(")")
            operand = _method(operand, method.lower(), arguments)
        return operand


def _member(getter: Getter, name: str) -> Getter:
    return lambda row: _lookup(getter(row), name)


def _method(target: _Operand, method: str, arguments: list[_Operand]) -> _Operand:
    def text(row: Row) -> str | None:
        value = target.get(row)
        return None if value is None else str(value)

    if method in {"contains", "startswith", "endswith"}:
        if len(arguments) != 1:
            raise QueryParseError(
                f"No applicable method '{method}' with {len(arguments)} arguments"
            )
        argument = arguments[0]

        def test(row: Row) -> bool:
            value, needle = text(row), argument.get(row)
            if value is None or needle is None:
                return False
            value, needle = value.casefold(), str(needle).casefold()
            if method == "contains":
                return needle in value
            return value.startswith(needle) if method == "startswith" else value.endswith(needle)

        return _Operand(test, "Boolean")
    transforms: dict[str, Callable[[str], str]] = {
        "tolower": str.lower,
        "toupper": str.upper,
        "trim": str.strip,
        "tostring": str,
    }
    transform = transforms[method]

    def apply(row: Row) -> str | None:
        value = text(row)
        return None if value is None else transform(value)

    return _Operand(apply, "String")


def parse_where(text: str, schemas: Schemas, root: str) -> Predicate:
    """Compile a ``where`` expression over rows of schema ``root``."""
    return _Parser(text, schemas, root).parse()


def parse_order(text: str, schemas: Schemas, root: str) -> list[tuple[Getter, bool]]:
    """Compile ``order`` (``Field [ASC|DESC], …``) into (getter, descending) pairs."""
    keys: list[tuple[Getter, bool]] = []
    for clause in text.split(","):
        words = clause.split()
        if not words or len(words) > 2:
            raise QueryParseError("Expression expected")
        descending = len(words) == 2 and words[1].upper() == "DESC"
        if len(words) == 2 and words[1].upper() not in {"ASC", "DESC"}:
            raise QueryParseError(f"Syntax error '{words[1]}'")
        parser = _Parser(words[0], schemas, root)
        first = parser.take()
        if first.kind != "name":
            raise QueryParseError("Identifier expected")
        operand = parser.field(first.text)
        if parser.peek() is not None:
            raise QueryParseError(f"Syntax error '{parser.peek().text}'")  # type: ignore[union-attr]
        keys.append((operand.get, descending))
    return keys


def sort_rows(rows: list[Row], keys: list[tuple[Getter, bool]]) -> list[Row]:
    """Rows sorted by ``keys`` (stable; nulls first ascending)."""
    for getter, descending in reversed(keys):
        rows = sorted(
            rows,
            key=lambda row, get=getter: (
                get(row) is not None,
                _comparable(get(row)) if get(row) is not None else 0,
            ),
            reverse=descending,
        )
    return rows
