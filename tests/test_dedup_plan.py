"""Band planning without Spark: the plan module imports numpy only, and exact plans are exact."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sparkhash.core.params import HashParams
from sparkhash.dedup import plan as P


def test_plan_module_does_not_import_pyspark():
    code = "import sys, sparkhash.dedup.plan; assert 'pyspark' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def _band_distance(a: np.ndarray, b: np.ndarray, band: P.Band) -> int:
    return sum(int(np.bitwise_count((a[w] ^ b[w]) & np.uint64(m))) for w, m in enumerate(band.masks))


@pytest.mark.parametrize("nbits,threshold,count", [(64, 4, 10_000), (64, 10, 1_000_000), (256, 12, 50_000)])
def test_exact_plan_is_a_pigeonhole_cover(nbits, threshold, count):
    """Every pair within `threshold` is within `radius` on some band: the guarantee of exact mode."""
    words = P.words_for(nbits // 4)
    plan = P.exact_plan(nbits, words, threshold, count)
    assert len(plan.bands) * (plan.radius + 1) > threshold
    covered = set()
    for band in plan.bands:
        positions = {b for b in range(nbits) if _in(band, b, nbits, words)}
        assert not positions & covered  # disjoint bands
        covered |= positions
    rng = np.random.default_rng(nbits + threshold)
    for _ in range(200):
        a = rng.integers(0, 2**63, words, dtype=np.uint64)
        flips = rng.choice(nbits, size=threshold, replace=False)
        b = a.copy()
        for q in flips.tolist():
            mask = P.bit_mask([q], nbits, words)
            b ^= np.array(mask, dtype=np.uint64)
        assert min(_band_distance(a, b, band) for band in plan.bands) <= plan.radius


def _in(band: P.Band, position: int, nbits: int, words: int) -> bool:
    mask = P.bit_mask([position], nbits, words)
    return any(m & bm for m, bm in zip(mask, band.masks, strict=True))


def test_hash_bits_is_the_registry_count():
    assert P.hash_bits("colorhash", HashParams(colorhash_binbits=4)) == 56
    assert P.hash_bits("crop_resistant", HashParams(hash_size=16)) == 256
