"""The base of each sandbox's runtime state: the live config and where the app keeps it."""

from __future__ import annotations

import dataclasses
import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Self, TypeVar

from flask import Flask, current_app

ConfigT = TypeVar("ConfigT")


class SandboxState(ABC, Generic[ConfigT]):
    """Everything one sandbox app owns; this part holds the config (a dataclass).

    The config is never changed in place: ``update_config`` replaces it as a whole, so a
    request that read it once sees one consistent set of settings.
    """

    extension: ClassVar[str]
    """The key of ``app.extensions`` the state lives under."""

    def __init__(self, config: ConfigT, runtime_knobs: frozenset[str]) -> None:
        self._config_lock = threading.Lock()
        self._config = config
        self._runtime_knobs = runtime_knobs

    @classmethod
    def of(cls, app: Flask) -> Self:
        """The state of ``app``."""
        return app.extensions[cls.extension]

    @classmethod
    def current(cls) -> Self:
        """The state of the app serving the current request."""
        return cls.of(current_app)

    def install(self, app: Flask) -> None:
        """Make this the state of ``app``."""
        app.extensions[self.extension] = self

    def config(self) -> ConfigT:
        """The current configuration."""
        with self._config_lock:
            return self._config

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change runtime knobs (``POST /_sandbox/config``); the new values of those named.

        Unknown or non-runtime names raise ValueError, as do values of the wrong kind (or
        TypeError, as the setting's type decides).
        """
        unknown = set(changes) - self._runtime_knobs
        if unknown:
            raise ValueError(f"not runtime settings: {', '.join(sorted(unknown))}")
        with self._config_lock:
            typed = {
                name: self._typed(name, value, type(getattr(self._config, name)))
                for name, value in changes.items()
            }
            self._config = dataclasses.replace(self._config, **typed)
            self._replaced(self._config)
            return {name: getattr(self._config, name) for name in sorted(changes)}

    def _typed(self, name: str, value: Any, kind: type) -> Any:
        """``value`` as a setting of ``kind``; a bool setting takes only true or false."""
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value if kind is bool else kind(value)

    def _replaced(self, config: ConfigT) -> None:
        """Called with the new config, still under the lock; for parts that keep a copy."""

    @abstractmethod
    def reset(self) -> None:
        """Back to the freshly started state."""

    @abstractmethod
    def close(self) -> None:
        """Stop background work."""
