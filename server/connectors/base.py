"""The one error tree every connector raises. Callers decide what to do by type:
retry later (`retryable`), ask a person to reconnect (`AuthError.needs_reauthorisation`), fix
the data (`ValidationError`), or give up (`PermanentError`)."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector error. `status` is the HTTP status, if there was one."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(ConnectorError):
    """Credentials were refused. If `needs_reauthorisation`, only a person can fix it."""

    def __init__(
        self, message: str, *, status: int | None = None, needs_reauthorisation: bool = False
    ) -> None:
        super().__init__(message, status=status)
        self.needs_reauthorisation = needs_reauthorisation


class RateLimitError(ConnectorError):
    """A limit was reached; `limit` names it (minute, day, concurrent, appminute)."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float, limit: str, status: int | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.limit = limit


class ValidationError(ConnectorError):
    """The other system refused the data; `messages` says why, element by element."""

    def __init__(self, message: str, *, messages: list[str], status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.messages = messages


class NotFoundError(ConnectorError):
    """The record asked for does not exist."""


class TransientError(ConnectorError):
    """A failure that may pass (5xx, timeout, connection lost). If `uncertain`, a write may
    have been applied although no answer arrived: reconcile before writing again."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, uncertain: bool = False) -> None:
        super().__init__(message, status=status)
        self.uncertain = uncertain


class PermanentError(ConnectorError):
    """A failure that trying again will not fix (a bug, a misconfiguration)."""
