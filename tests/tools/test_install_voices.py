"""tools/install_voices.sh, run with stand-ins for dpkg-query, id and apt-get on PATH (nothing is installed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "install_voices.sh"
PACKAGE_COUNT = 23


def fake_tools(folder: Path, installed: int, uid: int) -> Path:
    """Executables that report ``installed`` packages as installed, a user id, and log apt-get calls."""
    folder.mkdir()
    scripts = {
        "dpkg-query": f"for _ in $(seq {installed}); do echo 'install ok installed'; done",
        "id": f"echo {uid}",
        "apt-get": f"echo \"$@\" >> {folder / 'apt.log'}",
        "apt-cache": "exit 0",  # the components are enabled: /etc/apt is never written
    }
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def run_script(tools: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=30)


def test_quiet_and_successful_when_every_voice_is_installed(tmp_path: Path) -> None:
    tools = fake_tools(tmp_path / "bin", installed=PACKAGE_COUNT, uid=0)
    result = run_script(tools)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert not (tools / "apt.log").exists()


def test_without_root_it_prints_the_commands_and_installs_nothing(tmp_path: Path) -> None:
    tools = fake_tools(tmp_path / "bin", installed=PACKAGE_COUNT - 1, uid=1000)
    result = run_script(tools)
    assert result.returncode == 1
    assert "Components: contrib non-free" in result.stderr
    assert "apt-get update && apt-get install -y espeak-ng mbrola flite mbrola-us1" in result.stderr
    assert not (tools / "apt.log").exists()


def test_as_root_on_debian_it_installs_every_package(tmp_path: Path) -> None:
    if "ID=debian" not in Path("/etc/os-release").read_text():
        pytest.skip("the script installs only on Debian")
    tools = fake_tools(tmp_path / "bin", installed=0, uid=0)
    result = run_script(tools)
    assert result.returncode == 0, result.stderr
    installed = (tools / "apt.log").read_text().split()
    assert installed[:3] == ["install", "-y", "-q"]
    assert len(installed[3:]) == PACKAGE_COUNT and "mbrola-gr2" in installed
