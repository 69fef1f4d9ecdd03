"""sparkhash.core.allocator: after keep_freed_memory(), a large temporary array freed and
allocated again reuses the same memory instead of faulting fresh pages in."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys
import numpy
from sparkhash.core.allocator import keep_freed_memory
if sys.argv[1] == "tuned":
    assert keep_freed_memory() is True
def one_image():  # the pattern of hashing a photo: a few 8-12 MB temporaries alive together
    grey64 = numpy.ones(1_500_000)
    passes = [numpy.ones(1_250_000), numpy.ones(1_000_000), numpy.ones(1_000_000)]
    return grey64.sum() + sum(p.sum() for p in passes)
one_image()  # first touch, counted in neither case
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    one_image()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_keep_freed_memory_stops_page_faults_on_reallocation():
    # 38 MB per "image": with glibc's defaults much of it is returned to the kernel when freed
    # and faulted in again (9,500 pages per image if all of it).
    assert _faults("defaults") > 10 * 1000
    assert _faults("tuned") < 500
