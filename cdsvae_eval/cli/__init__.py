"""The ``cdsvae-eval`` command: a thin shell over the Python API.

Every sub-command lives in its own module and is imported only when used. Errors caused by the
user's input (:class:`cdsvae_eval.errors.CdsvaeError`) print one line and exit with the error's code (2; 74 for a
file that could not be written: a full disk); warnings print
as one ``warning: ...`` line each, and each (category, message) once per command: a library that warns
from a loop (scikit-learn in every task of ``probe --task all``) says it once. Ctrl-C and SIGTERM print
``aborted`` and exit 130 and 143 (see :mod:`cdsvae_eval.cli.interrupt`).
"""

from __future__ import annotations

import sys
import warnings
from typing import TextIO

import click

from cdsvae_eval import __version__
from cdsvae_eval.cli.lazy import LazyGroup

COMMANDS = {
    "data": "cdsvae_eval.cli.data:data",
    "train": "cdsvae_eval.cli.train:train",
    "sample": "cdsvae_eval.cli.sample:sample",
    "codes": "cdsvae_eval.cli.codes:codes",
    "tasks": "cdsvae_eval.cli.tasks:tasks",
    "probe": "cdsvae_eval.cli.probe:probe",
    "report": "cdsvae_eval.cli.report:report",
    "judge": "cdsvae_eval.cli.judge:judge",
    "verdict": "cdsvae_eval.cli.verdict:verdict",
    "compare": "cdsvae_eval.cli.compare:compare",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdsvae-eval")
def cli() -> None:
    """Train C-DSVAE, freeze its static and dynamic codes, and score them with fixed protocols."""


def main(argv: list[str] | None = None) -> None:
    from cdsvae_eval.cli.interrupt import interrupt_exit_code, sigterm_raises
    from cdsvae_eval.cli.options import arguments_as_flags
    from cdsvae_eval.errors import CdsvaeError

    shown_before = warnings.showwarning
    warnings.showwarning = EachWarningOnce()
    try:
        with sigterm_raises():
            cli.main(args=argv, prog_name="cdsvae-eval", standalone_mode=False)
    except CdsvaeError as error:
        click.echo(f"error: {arguments_as_flags(str(error))}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort as error:
        click.echo("aborted", err=True)
        sys.exit(interrupt_exit_code(error))
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    finally:
        warnings.showwarning = shown_before


class EachWarningOnce:
    """A ``warnings.showwarning`` that prints a warning as one ``warning: ...`` line, and a warning of the
    same category and message as one already shown not at all (Python's own once-per-location filter
    lets a library that warns from a loop, or inside ``catch_warnings``, repeat itself)."""

    def __init__(self) -> None:
        self.shown: set[tuple[type[Warning], str]] = set()

    def __call__(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
        text = " ".join(str(message).split())
        if (category, text) in self.shown:
            return
        self.shown.add((category, text))
        (file if file is not None else sys.stderr).write(f"warning: {text}\n")
