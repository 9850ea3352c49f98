"""An installed distribution's metadata, written by hand: a ``*.dist-info`` folder on sys.path is found by
importlib.metadata exactly as a pip-installed package's is (plug-in tests use it instead of pip)."""

from __future__ import annotations

from pathlib import Path


def install_dist_info(site: Path, dist: str, group: str, entry_points: dict[str, str]) -> None:
    """Declare ``entry_points`` (name -> ``module:attr``) of distribution ``dist`` under ``group``."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")
