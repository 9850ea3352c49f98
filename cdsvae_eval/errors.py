"""User-facing errors: the CLI prints their message on one line and exits with the error's ``exit_code``
(2: bad input; 74: a file could not be written)."""


class CdsvaeError(Exception):
    """An error the user can act on (a path, an option, a file, a full disk), not a bug."""

    exit_code = 2


class DataError(CdsvaeError):
    """A dataset is missing, malformed or inconsistent."""


class ConfigError(CdsvaeError):
    """An option or configuration value is invalid."""


class FieldError(ConfigError):
    """One named config field or argument holds a value it does not accept.

    The message is ``"<field> <problem>"``; the CLI swaps the field for the flag it came from.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


class CheckpointError(CdsvaeError):
    """A checkpoint or run folder cannot be used as asked."""


class WriteError(CdsvaeError):
    """A file could not be written (a full disk, no permission, a read-only folder).

    The message names the file, the cause and what was kept; the CLI exits with 74."""

    exit_code = 74  # EX_IOERR of sysexits.h

    def __init__(self, path: str, cause: str, kept: str) -> None:
        super().__init__(f"cannot write {path}: {cause}; {kept}")
        self.path = path
        self.cause = cause
