"""Where cached artefacts live: ``$CDSVAE_EVAL_CACHE``, else the XDG cache dir."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder under the cache root."""
    root = os.environ.get("CDSVAE_EVAL_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "cdsvae-eval"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
