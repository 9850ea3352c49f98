"""Option helpers shared by commands: repeated ``--set key=value`` options, and errors about API fields
re-worded with the flag the value came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from cdsvae_eval.errors import ConfigError, FieldError


def parse_key_values(pairs: tuple[str, ...], option: str = "--set") -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option} expects key=value, got {pair!r}")
        parsed[key.strip()] = value.strip()
    return parsed


def check_not_overwriting(path: Path, flag: str, force: bool) -> None:
    """An existing output file is kept unless ``--force`` is given."""
    if path.exists() and not force:
        raise ConfigError(f"{flag} {path} already exists (pass --force to overwrite it)")


# API arguments as error messages spell them, and the flag that sets each on the command line.
ARGUMENT_FLAGS = {"force=True": "--force", "resume=True": "--resume"}


def arguments_as_flags(message: str) -> str:
    """An API error's message in the CLI's words (``pass force=True`` becomes ``pass --force``)."""
    for argument, flag in ARGUMENT_FLAGS.items():
        message = message.replace(argument, flag)
    return message


@contextmanager
def fields_as_flags(flags: Mapping[str, str]) -> Iterator[None]:
    """Inside the block, a :class:`FieldError` about a field in ``flags`` is re-raised naming its flag
    (``batch_size must be >= 2`` becomes ``--batch-size must be >= 2``)."""
    try:
        yield
    except FieldError as error:
        flag = flags.get(error.field)
        if flag is None:
            raise
        raise FieldError(flag, error.problem) from None
