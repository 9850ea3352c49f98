"""Keep freed memory in the process on CPU, so that a training step does not page-fault afresh.

PyTorch has no caching allocator on the CPU: every activation is a ``malloc``, and glibc serves
blocks above its mmap threshold (32 MB at most) with ``mmap`` and returns them with ``munmap`` when
they are freed. A step of the paper preset allocates hundreds of such blocks, so each step pays for
zero-filled fresh pages again (measured: half of the CPU time in the kernel at batch 128). Telling
glibc to serve everything from its heap and never trim it lets freed blocks be reused: 1.37x more
sequences/s at batch 128 (bench/RESULTS.md). The cost is that the process keeps its peak heap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from functools import cache

import torch

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD_BYTES = 2**31 - 1


@cache
def reuse_freed_memory() -> bool:
    """Switch glibc's allocator to reuse freed blocks (once per process); False where the C library
    is not glibc or refuses, and nothing changes then."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def reuse_freed_memory_on(device: torch.device | str) -> bool:
    """:func:`reuse_freed_memory` when ``device`` is the CPU (GPU memory has its own caching allocator)."""
    return torch.device(device).type == "cpu" and reuse_freed_memory()
