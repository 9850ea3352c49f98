"""Where and how tensors are computed: device choice, autocast precision, CPU memory reuse, frame scaling.

The bottom floor every layer may use (the trainer, code extraction, tasks and the CLI alike); torch is imported
only when a function needs it, so checking a device name costs nothing.

Memory reuse on the CPU: PyTorch has no caching allocator on the CPU: every activation is a ``malloc``,
and glibc serves blocks above its mmap threshold (32 MB at most) with ``mmap`` and returns them with
``munmap`` when they are freed. A step of the paper preset allocates hundreds of such blocks, so each
step pays for zero-filled fresh pages again (measured: half of the CPU time in the kernel at batch 128).
Telling glibc to serve everything from its heap and never trim it lets freed blocks be reused: 1.37x
more sequences/s at batch 128 (bench/RESULTS.md). The cost is that the process keeps its peak heap.

Subnormal floats on the CPU: as a model trains, some activations and gradients fall below 1.2e-38, where x86
computes each operation in microcode; flushing them to zero made an epoch of the speech preset 1.25x
faster at its trained state (bench/RESULTS.md), and changes results only in their last digits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from cdsvae_eval.errors import FieldError

if TYPE_CHECKING:
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
    import torch

    return torch.device(device).type == "cpu" and reuse_freed_memory()


@contextmanager
def flush_denormals_on(device: torch.device | str) -> Iterator[bool]:
    """While the block runs, flush subnormal floats to zero when ``device`` is the CPU (and the CPU can);
    yields whether it does. The setting is process-wide: it is switched back off afterwards."""
    import torch

    switched = torch.device(device).type == "cpu" and torch.set_flush_denormal(True)
    try:
        yield switched
    finally:
        if switched:
            torch.set_flush_denormal(False)


def is_device_name(value: str) -> bool:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
    return value in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", value) is not None


def resolve_device(name: str, field: str = "device") -> torch.device:
    """The device ``name`` asks for (``auto`` is CUDA when present); errors name ``field``."""
    import torch

    if not is_device_name(name):
        raise FieldError(field, f"must be auto, cpu, cuda or cuda:N, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise FieldError(field, f"asks for {name}, but no CUDA device is available")
    return torch.device(name)


def has_native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware: a CUDA GPU of compute capability 8.0 or later
    (Ampere on; older ones only emulate it), or a CPU with AVX512-BF16 or AMX tiles (there oneDNN runs
    bf16 convolutions about twice as fast as fp32)."""
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    probes = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(probe is not None and probe() for probe in probes)


def resolve_precision(name: str, device: torch.device, mode: str, field: str = "precision") -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32. The release mode is always fp32; ``auto`` is bf16
    where the device has native bf16 arithmetic and fp32 elsewhere."""
    import torch

    if name not in ("auto", "fp32", "bf16"):
        raise FieldError(field, f"must be auto, fp32 or bf16, got {name!r}")
    if mode == "release" or name == "fp32" or (name == "auto" and not has_native_bf16(device)):
        return None
    return torch.bfloat16


def frames_on(frames: np.ndarray | torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """Frames (a numpy array or a tensor) as a float tensor on ``device``, uint8 pixels scaled to [0, 1]."""
    import torch

    tensor = torch.as_tensor(np.ascontiguousarray(frames)) if isinstance(frames, np.ndarray) else frames
    return as_float(tensor.to(device))


def as_float(batch: torch.Tensor) -> torch.Tensor:
    """Frames as float: uint8 pixels scaled to [0, 1], anything else cast as it is."""
    import torch

    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch.float()
