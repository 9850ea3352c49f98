"""tools/install_chromium.sh, run with stand-ins for chromium, id and apt-get on PATH (nothing is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "install_chromium.sh"
BASH = shutil.which("bash")


def _run(folder: Path, uid: int, with_chromium: bool) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    scripts = {"id": f"echo {uid}", "apt-get": f"echo \"$@\" >> {folder / 'apt.log'}"}
    if with_chromium:
        scripts["chromium"] = "exit 0"
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return subprocess.run([BASH, str(SCRIPT)], env={"PATH": str(folder)}, capture_output=True, text=True)


def test_quiet_when_chromium_is_installed(tmp_path: Path) -> None:
    result = _run(tmp_path / "bin", uid=0, with_chromium=True)
    assert result.returncode == 0 and result.stdout == result.stderr == ""
    assert not (tmp_path / "bin" / "apt.log").exists()


def test_installs_as_root(tmp_path: Path) -> None:
    result = _run(tmp_path / "bin", uid=0, with_chromium=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bin" / "apt.log").read_text() == "install -y -q chromium\n"


def test_prints_the_command_and_installs_nothing_when_not_root(tmp_path: Path) -> None:
    result = _run(tmp_path / "bin", uid=1000, with_chromium=False)
    assert result.returncode == 1 and "apt-get install -y chromium" in result.stderr
    assert not (tmp_path / "bin" / "apt.log").exists()
