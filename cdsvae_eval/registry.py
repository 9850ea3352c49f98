"""Named things looked up lazily: tasks, datasets and CLI commands share this one registry.

Three sources, looked up in this order:

- built-ins: ``"module:attr"`` targets, imported only when the name is used;
- :meth:`LazyRegistry.register`: objects registered by importing a module (tests, notebooks);
- an entry-point group: installed packages declare ``my-name = my_package.module:attr`` under it; only
  the names are read until one is needed.

Aliases map other spellings onto a name. A target that fails to import, whatever its module raises,
becomes a one-line error of the registry's error class; it never hides the other names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from cdsvae_eval.errors import CdsvaeError, ConfigError


@dataclass
class LazyRegistry:
    """Names of one ``kind`` (``task``, ``dataset``, ``command``) and where each comes from.

    ``check(name, obj, where)`` validates an imported or registered object (raising ``error``);
    ``error`` is the exception class of unknown names and broken targets."""

    kind: str
    builtins: dict[str, str]
    entry_point_group: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    check: Callable[[str, Any, str], None] | None = None
    error: type[CdsvaeError] = ConfigError
    registered: dict[str, Any] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def names(self) -> list[str]:
        """Every known name, importing nothing."""
        return sorted(set(self.builtins) | set(self.registered) | set(self.entry_points()))

    def get(self, name: str) -> Any:
        """The object called ``name`` (or one of its aliases), imported on first use."""
        name = self.canonical(name)
        if name in self.builtins:
            return self.load(name, self.builtins[name])
        if name in self.registered:
            return self.registered[name]
        entry_point = self.entry_points().get(name)
        if entry_point is None:
            raise self.error(f"unknown {self.kind} {name!r} (known: {', '.join(self.names())})")
        return self.load(name, entry_point.value)

    def register(self, name: str, obj: Any, aliases: tuple[str, ...] = ()) -> None:
        """Add ``obj`` under ``name``; a name or alias taken by something else is an error."""
        if self.check is not None:
            self.check(name, obj, qualified(obj))
        known = self.registered.get(name)
        if name in self.builtins or (known is not None and qualified(known) != qualified(obj)):
            raise self.error(f"{self.kind} name {name!r} is already taken; {qualified(obj)} needs another name")
        self.registered[name] = obj
        self.add_aliases(name, aliases)

    def add_aliases(self, name: str, aliases: tuple[str, ...]) -> None:
        for alias in aliases:
            owner = self.aliases.get(alias)
            if owner is not None and owner != name:
                raise self.error(f"{self.kind} alias {alias!r} already points to {owner!r}")
            self.aliases[alias] = name

    def aliases_of(self, name: str) -> tuple[str, ...]:
        return tuple(sorted(alias for alias, owner in self.aliases.items() if owner == name))

    def source(self, name: str) -> str:
        """Where ``name`` comes from: ``builtin``, ``registered in <module>`` or ``entry point <dist>``."""
        name = self.canonical(name)
        if name in self.builtins:
            return "builtin"
        if name in self.registered:
            return f"registered in {getattr(self.registered[name], '__module__', '?')}"
        entry_point = self.entry_points().get(name)
        return f"entry point {distribution_name(entry_point)}" if entry_point is not None else "unknown"

    def load(self, name: str, target: str) -> Any:
        """Import ``target`` for ``name``; any failure becomes one line of :attr:`error`."""
        try:
            return self.import_checked(name, target)
        except Exception as error:  # a plug-in's module can raise anything at import
            raise self.error(f"{self.kind} {name!r} is unavailable ({target}: {one_line(error, self.error)})") from None

    def import_checked(self, name: str, target: str) -> Any:
        """Import ``target`` and run :attr:`check` on it; errors propagate as raised."""
        obj = import_target(target)
        if self.check is not None:
            self.check(name, obj, target)
        return obj

    def entry_points(self) -> dict[str, metadata.EntryPoint]:
        if self.entry_point_group is None:
            return {}
        return {point.name: point for point in metadata.entry_points(group=self.entry_point_group)}


def import_target(target: str) -> Any:
    """The attribute a ``"module:attr"`` string names."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def qualified(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def distribution_name(entry_point: metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else "(unknown distribution)"


def one_line(error: BaseException, plain: type[BaseException] = ConfigError) -> str:
    """An exception on one line, prefixed by its class unless it is a ``plain`` one (its text says enough)."""
    text = " ".join(str(error).split())
    return text if isinstance(error, plain) else f"{type(error).__name__}: {text}"
