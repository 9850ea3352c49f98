"""A click group whose sub-commands are imported only when invoked (keeps --help fast).

The commands are a :class:`~cdsvae_eval.registry.LazyRegistry` of ``"module:attr"`` targets, like tasks
and datasets."""

from __future__ import annotations

import click

from cdsvae_eval.registry import LazyRegistry


class LazyGroup(click.Group):
    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = LazyRegistry(kind="command", builtins=dict(lazy_commands or {}))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands.names()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands.builtins:
            return self.lazy_commands.get(name)
        return super().get_command(ctx, name)
