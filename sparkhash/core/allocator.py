"""Keep freed memory in the process instead of returning it to the kernel (glibc only).

Hashing one photo allocates a few large temporary arrays (the float64 greyscale image, wide
resampling passes, wavelet bands: 2-15 MB each). With glibc's default malloc thresholds each
of them is fresh memory from the kernel, returned when freed, so every page is faulted in
again for the next image: ~2,700 page faults per 1.5 MP photo, 15 % of the hashing time on a
virtual machine. Raising the mmap and trim thresholds lets malloc reuse the same memory.

This changes process-wide allocator behaviour, so the core never calls it on import: the Spark
workers, the command line and the benchmarks do (a dedicated hashing process is exactly the
case it is for). The same effect without code: MALLOC_MMAP_THRESHOLD_ and
MALLOC_TRIM_THRESHOLD_ in the environment of the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameters from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Default threshold: allocations below it come from (and return to) the heap, and up to this
#: much free memory at the top of the heap is kept. Larger than any per-image temporary of a
#: 25 MP photo (its float64 greyscale copy is 200 MB).
DEFAULT_THRESHOLD = 256 << 20


def keep_freed_memory(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Raise glibc's mmap and trim thresholds to `threshold` bytes; True if applied.

    A no-op returning False where malloc is not glibc's (macOS, Windows, musl). Safe to call
    more than once.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, threshold) == 1 and mallopt(_M_TRIM_THRESHOLD, threshold) == 1
