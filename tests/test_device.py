import platform
import subprocess
import sys

import pytest

PROBE = """
import sys, torch
from cdsvae_eval.device import reuse_freed_memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

switched = reuse_freed_memory() if sys.argv[1] == "reuse" else False
before = rss_mb()
block = torch.ones(64 * 2**20)  # 256 MB, far above glibc's mmap threshold
del block
print(switched, rss_mb() - before)
"""


def kept_after_free(mode: str) -> tuple[bool, float]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout
    switched, kept = out.split()
    return switched == "True", float(kept)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_reuse_keeps_a_freed_block_in_the_process_and_the_default_returns_it():
    switched, kept = kept_after_free("reuse")
    assert switched and kept > 200
    default_switched, default_kept = kept_after_free("default")
    assert not default_switched and default_kept < 50


def _subnormal_product() -> float:
    import torch

    return float(torch.tensor(1e-30) * torch.tensor(1e-15))  # 1e-45: a subnormal float32


def test_subnormals_are_flushed_on_the_cpu_inside_the_block_only():
    from cdsvae_eval.device import flush_denormals_on

    assert _subnormal_product() > 0
    with flush_denormals_on("cpu") as flushed:
        assert flushed and _subnormal_product() == 0
    assert _subnormal_product() > 0


def test_subnormals_are_kept_for_a_gpu_device():
    from cdsvae_eval.device import flush_denormals_on

    with flush_denormals_on("cuda") as flushed:
        assert not flushed and _subnormal_product() > 0
