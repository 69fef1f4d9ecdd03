"""Band planning without Spark: the plan module imports numpy only, and exact plans are exact."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkhash.core.params import HashParams
from sparkhash.dedup import plan as P
from sparkhash.dedup.plan import (
    band_cost,
    band_widths,
    collision_rate,
    exact_plan,
    mih_band_count,
    pigeonhole_exact,
    probe_volume,
    radius_layouts,
)


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


def test_probe_volume_counts_the_values_within_the_radius():
    assert probe_volume(21, 0) == 1
    assert probe_volume(21, 1) == 22
    assert probe_volume(32, 2) == 1 + 32 + 496
    assert probe_volume(3, 5) == 8  # never more than all values
    assert collision_rate(20, 0) == 2.0**-20
    assert collision_rate(22, 1) == 23 / 2.0**22


def test_pigeonhole_rule():
    assert pigeonhole_exact((0, 0, 0, 0, 0), 4)
    assert not pigeonhole_exact((0, 0, 0, 0), 4)
    assert pigeonhole_exact((1, 1, 0), 4)  # 2 + 2 + 1 = 5 > 4
    assert not pigeonhole_exact((1, 1), 4)
    assert pigeonhole_exact((2, 2), 4) and pigeonhole_exact((2, 1), 4)


def test_radius_layouts_are_exact_and_minimal():
    layouts = radius_layouts(4, 2, 64)
    assert (0, 0, 0, 0, 0) in layouts and (1, 1, 0) in layouts and (2, 2) in layouts and (1, 1, 1) in layouts
    for radii in layouts:
        assert pigeonhole_exact(radii, 4)
        assert list(radii) == sorted(radii, reverse=True)
        for i in range(len(radii)):  # no band can be dropped
            assert not pigeonhole_exact(radii[:i] + radii[i + 1 :], 4)
    assert radius_layouts(3, 0, 64) == [(0, 0, 0, 0)]


def test_band_widths_fit_the_bits_and_widen_with_n():
    for n in (10**4, 10**6, 10**7):
        widths = band_widths(64, (1, 1, 0), n)
        assert sum(widths) <= 64 and all(w > r for w, r in zip(widths, (1, 1, 0), strict=True))
    assert band_widths(64, (0,) * 5, 10**4) == [13, 13, 13, 13, 12]
    assert band_widths(4, (1, 1, 1), 10) is None  # 3 bands of radius 1 need 6 bits
    # an equality band over N hashes is worth widening until about log2 N bits or more
    (w,) = band_widths(64, (0,), 10**6)
    assert w >= math.log2(10**6)
    # the greedy widths are optimal for their layout: no single bit moved between bands helps
    widths = band_widths(64, (1, 1, 0), 10**7)
    best = sum(band_cost(10**7, w, r) for w, r in zip(widths, (1, 1, 0), strict=True))
    for i in range(3):
        for j in range(3):
            if i != j and widths[i] > 2:
                moved = list(widths)
                moved[i] -= 1
                moved[j] += 1
                cost = sum(band_cost(10**7, w, r) for w, r in zip(moved, (1, 1, 0), strict=True))
                assert cost >= best


def test_plan_grows_with_n_and_beats_fixed_uniform_bands():
    small = exact_plan(64, 1, 4, 10_000)
    assert len(small.bands) == 5 and small.radius == 0  # plain equality join on k+1 bands
    for n, ratio in ((10**6, 0.7), (10**7, 0.5)):
        plan = exact_plan(64, 1, 4, n)
        radii = [plan.band_radius(i) for i in range(len(plan.bands))]
        assert pigeonhole_exact(radii, 4)
        # the old plan at this size: 3 bands of 22/21/21 bits, all probed within radius 1,
        # priced by the same model (build row weight, self-meetings)
        old = sum(band_cost(n, w, 1) for w in (22, 21, 21))
        assert plan.estimate["cost"] < ratio * old
    assert mih_band_count(64, 10**6) == 3 and mih_band_count(64, 10**4) == 5


def test_hot_sub_bands_and_masks_cover_disjoint_bits():
    plan = exact_plan(64, 1, 4, 10**7)
    seen = 0
    for band in plan.bands:
        assert band.masks[0] & seen == 0
        seen |= band.masks[0]
    assert all(len(subs) == 5 for subs in plan.sub_bands)


@settings(max_examples=300, deadline=None)
@given(
    n=st.sampled_from([10**3, 10**5, 10**6, 10**7, 10**8]),
    k=st.integers(0, 8),
    a=st.integers(0, 2**64 - 1),
    flips=st.lists(st.integers(0, 63), max_size=8, unique=True),
)
def test_every_pair_within_k_meets_on_some_band(n, k, a, flips):
    # The exactness guarantee itself, on the plan's real masks: a pair at distance <= k is
    # within its band's radius on at least one band.
    plan = exact_plan(64, 1, k, n)
    flips = flips[:k]
    b = a
    for bit in flips:
        b ^= 1 << bit
    diffs = [bin((a ^ b) & band.masks[0]).count("1") for band in plan.bands]
    assert any(d <= plan.band_radius(i) for i, d in enumerate(diffs))


def test_sampled_rates_only_raise_the_estimate():
    # Hashes that all share their first 20 bits make any band there useless: the sample shows it.
    rng = np.random.default_rng(4)
    sample = (rng.integers(0, 2**44, 2000, dtype=np.uint64) | np.uint64(0xABCDE << 44)).reshape(-1, 1)
    plain = exact_plan(64, 1, 4, 10**6)
    skewed = exact_plan(64, 1, 4, 10**6, sample=sample)
    assert skewed.estimate["cost"] > plain.estimate["cost"]


# --- two-sided bands ------------------------------------------------------------------------


def test_join_multiplicity_counts_every_decomposition():
    # Summed over all differences, the rows per pair are V(w, r_build) * V(w, r_probe).
    for w in (6, 23, 32):
        for rb, rp in ((0, 0), (0, 1), (1, 1), (1, 2), (0, 2)):
            total = sum(math.comb(w, d) * P.join_multiplicity(w, d, rb, rp) for d in range(w + 1))
            assert total == probe_volume(w, rb) * probe_volume(w, rp)
            assert P.join_rate(w, rb, rp) == total / 2.0**w
    # on a 1 + 1 band of 32 bits: a hash meets itself 33 times, pairs at 1 or 2 bits twice
    assert [P.join_multiplicity(32, d, 1, 1) for d in range(4)] == [33, 2, 2, 0]
    assert [P.join_multiplicity(32, d, 0, 1) for d in range(3)] == [1, 1, 0]


def _spanning_band(nbits: int, words: int, start: int, width: int) -> P.Band:
    return P.Band(P.bit_mask(list(range(start, start + width)), nbits, words))


@pytest.mark.parametrize(
    "nbits,words,start,width,rb,rp",
    [(64, 1, 0, 12, 1, 1), (64, 1, 40, 10, 1, 2), (64, 1, 5, 9, 0, 2), (128, 2, 58, 12, 1, 1)],
)
def test_canonical_build_flip_keeps_exactly_one_join_row(nbits, words, start, width, rb, rp):
    """Enumerate the join of one pair the way Spark does (every probe variant x every build
    variant with equal band values): it meets join_multiplicity times, and exactly one of those
    rows has the canonical build flip when the pair is within the band's radius."""
    band = _spanning_band(nbits, words, start, width)
    plan = P.BandPlan(nbits, words, 4, "exact", (band,), radius=rb + rp, build_radii=(rb,))
    probe_flips = plan.probe_flips(band, rp)
    build_flips = plan.probe_flips(band, rb)
    positions = list(range(start, start + width))
    rng = np.random.default_rng(width + rb + rp)
    for d in range(rb + rp + 2):
        for _ in range(20):
            a = [int(x) for x in rng.integers(0, 2**63, words, dtype=np.uint64)]
            b = list(a)
            for q in rng.choice(positions, size=d, replace=False).tolist():
                for w, m in enumerate(P.bit_mask([q], nbits, words)):
                    b[w] ^= m
            # outside the band the two may differ freely: the rule only looks at the band
            b[0] ^= (int(rng.integers(0, 2**4)) << 60) if start > 4 else 0  # hash bits 0-3
            ka = [[(x & m) ^ f for x, m, f in zip(a, band.masks, fp, strict=True)] for fp in probe_flips]
            rows = [
                fb
                for fb in build_flips
                for key in ka
                if key == [(x & m) ^ f for x, m, f in zip(b, band.masks, fb, strict=True)]
            ]
            assert len(rows) == P.join_multiplicity(width, d, rb, rp)
            diff = tuple(x ^ y for x, y in zip(a, b, strict=True))
            canonical = P.canonical_build_flip(diff, band, rp)
            assert rows.count(canonical) == (1 if d <= rb + rp else 0)


def test_side_layouts_make_radius_two_bands_two_sided():
    assert P.side_layouts((1, 1, 0)) == [(0, 0, 0)]
    assert sorted(P.side_layouts((2, 1))) == [(0, 0), (1, 0)]
    assert len(P.side_layouts((2, 2))) == 4


def test_two_sided_plans_win_as_n_grows_and_stay_exact():
    # Up to 10M the one-sided 1/1/0 plan is cheaper (a 1 + 1 band's hash meets itself w + 1
    # times and build rows weigh BUILD_ROW_COST); beyond, candidates of ~23-bit bands grow as
    # N^2 and two bands, 1 + 1 and one-sided radius 1, win (multi-index hashing: about
    # 64 / log2 N bands of ~log2 N bits).
    for n in (10**6, 10**7):
        assert not exact_plan(64, 1, 4, n).two_sided
    for n in (3 * 10**7, 10**8):
        plan = exact_plan(64, 1, 4, n)
        assert plan.two_sided and len(plan.bands) == 2
        assert [plan.band_radius(i) for i in range(2)] == [2, 1]
        assert [plan.build_radius(i) for i in range(2)] == [1, 0]
        assert pigeonhole_exact([plan.band_radius(i) for i in range(2)], 4)
        # build rows: w + 1 on the two-sided band, the key on the other
        w = plan.bands[0].width
        assert plan.estimate["build_rows"] == n * (w + 1 + 1)
        one_sided = exact_plan(64, 1, 4, n, two_sided=False)
        assert plan.estimate["cost"] < one_sided.estimate["cost"]
    assert "build+probe 1+1,0+1" in exact_plan(64, 1, 4, 10**8).describe()


def test_sides_can_be_forced_for_comparisons():
    assert exact_plan(64, 1, 4, 10**6, two_sided=True).two_sided
    assert not exact_plan(64, 1, 4, 10**8, two_sided=False).two_sided
    assert exact_plan(64, 1, 4, 10**7, two_sided=False) == exact_plan(64, 1, 4, 10**7, max_radius=1)


def test_two_sided_band_widths_are_optimal_for_their_layout():
    # no single bit moved between the bands (or dropped) lowers the summed two-sided cost
    n, radii, builds = 10**8, (2, 1), (1, 0)
    widths = band_widths(64, radii, n, build_radii=builds)

    def cost(ws: list[int]) -> float:
        return sum(band_cost(n, w, r, build_radius=b) for w, r, b in zip(ws, radii, builds, strict=True))

    assert sum(widths) <= 64
    for i in range(2):
        for j in range(2):
            moved = list(widths)
            moved[i] -= 1
            if i != j:
                moved[j] += 1
            assert cost(moved) >= cost(widths)
    # a 1 + 1 band costs 2(w + 1) rows per hash; one-sided radius 2 costs V(w, 2) probes + 1 key
    assert P.band_rows(32, 2, 1) == 66 and P.band_rows(32, 2, 0) == 529 + 1
