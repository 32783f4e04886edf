"""A tiny WordPress-style REST router: routes are regexes with handlers per method."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..render.view import View
from ..store.database import Store
from ..store.models import ApiKey
from .errors import unauthorized
from .params import Params

READABLE = ("GET",)
CREATABLE = ("POST",)
EDITABLE = ("POST", "PUT", "PATCH")
DELETABLE = ("DELETE",)


@dataclass
class Call:
    """One request as a handler sees it."""

    store: Store
    view: View
    method: str
    params: Params
    query: dict[str, Any]
    key: ApiKey | None
    url_params: dict[str, str] = field(default_factory=dict)
    action: str = "view"
    public: bool = False

    def id(self, name: str = "id") -> int:
        """A numeric URL parameter."""
        return int(self.url_params[name])

    def permit(self) -> None:
        """The permission callback: after parameter validation, refuse anonymous callers."""
        if self.key is None and not self.public:
            raise unauthorized(self.action)


@dataclass
class Reply:
    """A handler's answer: JSON-able data, status and extra headers."""

    data: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


@dataclass
class Endpoint:
    """A handler and the permission action WooCommerce checks for it."""

    handler: Handler
    action: str
    public: bool = False


@dataclass
class Route:
    """A route pattern (``/wc/v3/orders/(?P<id>[\\d]+)``) and its endpoints by method."""

    pattern: str
    namespace: str
    endpoints: dict[str, Endpoint]
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(f"^{self.pattern}$")


class Router:
    """All routes, matched in registration order like ``WP_REST_Server``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        pattern: str,
        methods: tuple[str, ...],
        handler: Handler,
        action: str,
        namespace: str = "wc/v3",
        public: bool = False,
    ) -> None:
        """Register ``handler`` for ``methods`` on ``pattern``."""
        route = next((r for r in self.routes if r.pattern == pattern), None)
        if route is None:
            route = Route(pattern, namespace, {})
            self.routes.append(route)
        for method in methods:
            route.endpoints[method] = Endpoint(handler, action, public)

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route whose pattern matches ``path``."""
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None
