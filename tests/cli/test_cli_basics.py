"""The top-level command: version, help, and a help that stays light (no torch import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cdsvae_eval import __version__
from cdsvae_eval.cli import COMMANDS


def test_version(run_cli) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and __version__ in out and "cdsvae-eval" in out


def test_help_lists_every_command(run_cli) -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in out


def test_data_help_lists_its_commands(run_cli) -> None:
    code, out, _ = run_cli("data", "--help")
    assert code == 0
    for name in ("list", "info", "show", "synth-speech"):
        assert name in out


def test_unknown_command_exits_2(run_cli) -> None:
    code, _, err = run_cli("no-such-command")
    assert code == 2 and "no-such-command" in err


@pytest.mark.parametrize("args", [["--help"], ["data", "--help"], ["data", "list"]])
def test_help_and_listing_do_not_import_torch(args: list[str]) -> None:
    script = (
        "import sys\n"
        "from cdsvae_eval.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit_:\n"
        "    assert not exit_.code, exit_.code\n"
        "heavy = sorted(name for name in ('torch', 'torchaudio', 'sklearn', 'librosa') if name in sys.modules)\n"
        "print('HEAVY:', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY: []" in result.stdout
