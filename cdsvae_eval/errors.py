"""User-facing errors: the CLI prints their message on one line and exits with code 2."""


class CdsvaeError(Exception):
    """An error caused by the user's input (a path, an option, a file), not by a bug."""


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
