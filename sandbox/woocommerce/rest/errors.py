"""WordPress REST errors (``WP_Error`` → ``{"code", "message", "data": {"status"}}``)."""

from __future__ import annotations

from typing import Any


class RestError(Exception):
    """A ``WP_Error`` a handler returns; ``extra`` joins ``data``."""

    def __init__(self, code: str, message: str, status: int, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body WordPress sends."""
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.extra},
        }


def invalid_params(problems: dict[str, tuple[str, str]]) -> RestError:
    """``rest_invalid_param`` as WordPress 6.1 reports schema violations."""
    return RestError(
        "rest_invalid_param",
        "Invalid parameter(s): " + ", ".join(problems),
        400,
        params={name: message for name, (_code, message) in problems.items()},
        details={
            name: {"code": code, "message": message, "data": None}
            for name, (code, message) in problems.items()
        },
    )


def missing_params(names: list[str]) -> RestError:
    """``rest_missing_callback_param``."""
    return RestError(
        "rest_missing_callback_param",
        "Missing parameter(s): " + ", ".join(names),
        400,
        params=names,
    )


def no_route() -> RestError:
    """No route matches the URL and method."""
    return RestError(
        "rest_no_route", "No route was found matching the URL and request method.", 404
    )


def unauthorized(action: str) -> RestError:
    """The permission-callback error for an unauthenticated request."""
    code, message = {
        "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
        "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
        "create": (
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
        "edit": (
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
        "delete": (
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        ),
        "batch": (
            "woocommerce_rest_cannot_batch",
            "Sorry, you are not allowed to batch manipulate this resource.",
        ),
    }[action]
    return RestError(code, message, 401)
