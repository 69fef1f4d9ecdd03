"""Band planning maths: hash words, band layouts and the cost model that picks them (numpy only).

A hash of `nbits` bits (imagehash's hex string, MSB first, zero-padded on the left) is held
as `words` signed 64-bit longs `w0..w{W-1}`. A band is a set of hash bits, written as one
64-bit mask per word, so a band may have any bits (contiguous, sampled, spanning words).

Exact mode uses the pigeonhole principle: with m disjoint bands searched within radius r and
m·(r+1) > k, two hashes within distance k are within r of each other on at least one band.
A band may be searched two-sided: build rows emit the band's variants within r_build, probe
rows within r_probe, and the two meet whenever the band distance is <= r_build + r_probe
(radius 2 as 1 + 1 costs 2(w+1) rows per hash instead of C(w, <=2)). A pair can then meet in
several join rows of one band; `canonical_build_flip` keeps exactly one.
Approximate mode samples bits per band (bit-sampling LSH) to reach a target recall at k.

No Spark here: the plans are tested without a JVM. `sparkhash.dedup.join` turns them into
Spark columns. A `Planner` is what the join asks for a plan (`exact_plan`, `approx_plan` or any
function of the same shape, e.g. a benchmark's baseline); `planner_for` names the two modes.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from typing import Protocol

import numpy as np

from sparkhash.core import registry
from sparkhash.core.params import HashParams

#: Buckets with more build rows than this are split on sub-bands (see join.py).
DEFAULT_HOT_BUCKET = 1000
#: The join's modes (`planner_for`): a guaranteed plan, or LSH to a target recall.
MODES = ("exact", "approx")
#: The target recall of approx mode unless told.
DEFAULT_RECALL = 0.95
#: The largest Hamming distance of a pair unless told (dups, find_pairs, match), for an
#: algorithm whose record declares no other (`registry.Algorithm.threshold`; PDQ's is 31).
DEFAULT_THRESHOLD = registry.DEFAULT_THRESHOLD


def threshold_or_default(threshold: int | None, algorithm: str, nbits: int) -> int | None:
    """`threshold` when given, else the default its registry record declares for signatures
    of `nbits` bits (`Algorithm.default_threshold`; DEFAULT_THRESHOLD for a name the registry
    does not know, e.g. a hex column of a user's table)."""
    if threshold is not None:
        return threshold
    record = registry.REGISTRY.get(algorithm)
    return DEFAULT_THRESHOLD if record is None else record.default_threshold(nbits)


def word_columns(words: int, prefix: str = "w") -> list[str]:
    """Names of the word columns: w0, w1, ..."""
    return [f"{prefix}{i}" for i in range(words)]


def words_for(hex_length: int) -> int:
    """Number of 64-bit words holding a hex string of `hex_length` characters."""
    return max(1, math.ceil(hex_length / 16))


def hash_bits(algorithm: str, params: HashParams) -> int:
    """Number of bits of one hash (a segment hash for crop_resistant): the registry's count."""
    return registry.get(algorithm).nbits(params)


def signed(value: int) -> int:
    """A 64-bit unsigned mask as the signed long Spark stores."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True)
class Band:
    """A set of hash bits, as one unsigned 64-bit mask per word."""

    masks: tuple[int, ...]

    @property
    def width(self) -> int:
        return sum(bin(m).count("1") for m in self.masks)


def bit_mask(positions: list[int], nbits: int, words: int) -> tuple[int, ...]:
    """Per-word masks of hash bit positions (0 = first, most significant bit of the hash)."""
    pad = words * 64 - nbits
    masks = [0] * words
    for p in positions:
        q = pad + p
        masks[q // 64] |= 1 << (63 - q % 64)
    return tuple(masks)


def split_bits(positions: list[int], parts: int) -> list[list[int]]:
    """Split positions into `parts` contiguous runs whose sizes differ by at most one."""
    n = len(positions)
    out, start = [], 0
    for i in range(parts):
        size = n // parts + (1 if i < n % parts else 0)
        out.append(positions[start : start + size])
        start += size
    return out


@dataclass(frozen=True)
class BandPlan:
    """How a pairs join is banded: the bands, the probe radius and what it is expected to cost.

    `radius` is the largest band radius; `radii`, when set, gives each band its own radius
    (exact when sum(radii[i] + 1) > threshold, see `pigeonhole_exact`). `build_radii`, when
    set, is the part of each band's radius searched by the build rows (0 or 1; the probe rows
    search the rest): a two-sided band.
    """

    nbits: int
    words: int
    threshold: int
    mode: str  # "exact" or "approx"
    bands: tuple[Band, ...]
    radius: int = 0
    #: per band, disjoint sub-bands used to split hot buckets (pigeonhole on the other bits)
    sub_bands: tuple[tuple[Band, ...], ...] = ()
    hot_bucket: int = DEFAULT_HOT_BUCKET
    expected_recall: float = 1.0
    estimate: dict = field(default_factory=dict, compare=False)
    radii: tuple[int, ...] = ()
    build_radii: tuple[int, ...] = ()

    def band_radius(self, index: int) -> int:
        """The radius band `index` is searched within (build plus probe side)."""
        return self.radii[index] if self.radii else self.radius

    def build_radius(self, index: int) -> int:
        """The variants the build rows of band `index` emit: within this radius (0: the key only)."""
        return self.build_radii[index] if self.build_radii else 0

    def probe_radius(self, index: int) -> int:
        """The variants the probe rows of band `index` emit: within this radius."""
        return self.band_radius(index) - self.build_radius(index)

    @property
    def two_sided(self) -> bool:
        """True when some band's build rows emit variants (the join then keeps only the row of
        `canonical_build_flip`)."""
        return any(self.build_radius(i) > 0 for i in range(len(self.bands)))

    def probe_flips(self, band: Band, radius: int | None = None) -> list[tuple[int, ...]]:
        """Per-word XOR masks that enumerate the band values within `radius` (default: the
        plan's) of a value."""
        radius = self.radius if radius is None else radius
        bits = [(w, 1 << b) for w, m in enumerate(band.masks) for b in range(64) if m >> b & 1]
        flips = []
        for r in range(radius + 1):
            for combo in combinations(bits, r):
                f = [0] * self.words
                for w, b in combo:
                    f[w] |= b
                flips.append(tuple(f))
        return flips

    def describe(self) -> str:
        widths = ",".join(str(b.width) for b in self.bands)
        radii = ",".join(str(self.band_radius(i)) for i in range(len(self.bands)))
        text = (
            f"{self.mode} k={self.threshold} bits={self.nbits}: {len(self.bands)} bands "
            f"(widths {widths}) radius {radii if len(set(radii.split(','))) > 1 else self.radius}"
        )
        if self.two_sided:
            sides = ",".join(f"{self.build_radius(i)}+{self.probe_radius(i)}" for i in range(len(self.bands)))
            text += f" (build+probe {sides})"
        if self.mode == "approx":
            text += f", expected recall at distance {self.threshold}: {self.expected_recall:.4f}"
        return text


def _sub_bands(band: Band, nbits: int, words: int, threshold: int) -> tuple[Band, ...]:
    """k+1 disjoint bands over the bits outside `band`: pairs in one bucket share one of them."""
    inside = set()
    pad = words * 64 - nbits
    for p in range(nbits):
        q = pad + p
        if band.masks[q // 64] >> (63 - q % 64) & 1:
            inside.add(p)
    rest = [p for p in range(nbits) if p not in inside]
    if len(rest) < threshold + 1:
        return ()  # every pair in such a bucket is within k anyway: nothing to split on
    return tuple(Band(bit_mask(part, nbits, words)) for part in split_bits(rest, threshold + 1))


def _volume(width: int, radius: int) -> int:
    return probe_volume(width, radius)


# --- The exact plan's maths (numpy only; unit-tested without Spark) -----------------------
#
# A band of `width` bits probed within `radius` costs, per distinct hash, probe_volume() probe
# rows plus one build row, and meets each other hash with probability collision_rate() (for
# uniform bits). With N hashes a band of fixed width gives N^2 * rate candidates: N times more
# candidates per hash as N grows. Keeping candidates per hash flat needs bands about log2 N
# bits wide (multi-index hashing's m ~ b / log2 N substrings); a fixed number of bits then
# buys exactness only through larger radii on some bands, which `exact_plan` trades off.

#: Cost of one candidate pair (joined, then verified in the same stage, never shuffled)
#: relative to one band row (generated, shuffled and hashed into the join). Probably below 1
#: (a candidate is never shuffled), but not yet calibrated: 1 is the weight the plans had.
CANDIDATE_COST = 1.0

#: Cost of one build row relative to one probe row. Build rows are generated twice (the
#: hot-bucket count, then the join) and inserted into the join's hash tables. Least-squares
#: fits on the loaded 2-core machine: 1.9-3.4 at N = 300k (three plans), ~4.4 at 1M (1/1/0 vs
#: 1+1/1 in one run, 42 s vs 129 s, ~6 s fixed overhead assumed). Before two-sided bands a plan
#: had about one build row per band, so this weight mostly prices the two-sided variants.
BUILD_ROW_COST = 4.0


#: Layouts whose cost is measured on the sample (the cheapest by the uniform cost).
SHORTLIST = 3

#: Build rows per partition of the banded join. Each task of the shuffled hash join holds its
#: partition of the build side in one hash map (~70 bytes a row: the words, band, key, sub-band
#: columns plus the map's own overhead), so 2M rows is ~140 MB a task. With a fixed 8 local
#: partitions, 10M hashes on a two-sided plan (~320M build rows) ran out of memory at 6g of heap.
BUILD_ROWS_PER_PARTITION = 2_000_000


def join_partitions(plan: BandPlan, minimum: int) -> int:
    """Shuffle partitions of the banded join: at least `minimum` (spark.sql.shuffle.partitions),
    more when the plan's build side would give a task over BUILD_ROWS_PER_PARTITION rows. An
    equality plan's build rows are its probe rows (its estimate counts them there)."""
    rows = plan.estimate.get("build_rows") or plan.estimate.get("probe_rows") or 0.0
    return max(int(minimum), math.ceil(rows / BUILD_ROWS_PER_PARTITION))


@functools.cache  # pure and called ~10^6 times while planning wide hashes (PDQ: 256 bits)
def probe_volume(width: int, radius: int) -> int:
    """Band values within Hamming `radius` of a value of `width` bits: the probe rows per hash."""
    return sum(math.comb(width, i) for i in range(min(radius, width) + 1))


def collision_rate(width: int, radius: int) -> float:
    """Probability that two uniform random values of `width` bits are within `radius`."""
    return probe_volume(width, radius) / 2.0**width


@functools.cache  # pure and called ~10^6 times while planning wide hashes (PDQ: 256 bits)
def join_multiplicity(width: int, distance: int, build_radius: int, probe_radius: int) -> int:
    """Join rows in which two hashes at band distance `distance` meet on a band of `width` bits
    whose build rows emit variants within `build_radius` and probe rows within `probe_radius`.

    A row is a build flip F_b and probe flip F_p with F_b xor F_p = D (the differing bits): F_b
    takes i bits of D and j bits outside it, F_p is then the other d - i bits of D plus those j.
    """
    d = distance
    return sum(
        math.comb(d, i) * math.comb(width - d, j)
        for i in range(min(d, build_radius) + 1)
        for j in range(min(width - d, build_radius - i) + 1)
        if d - i + j <= probe_radius
    )


@functools.cache  # pure and called ~10^6 times while planning wide hashes (PDQ: 256 bits)
def join_rate(width: int, build_radius: int, probe_radius: int) -> float:
    """Expected join rows per ordered pair of uniform random hashes on one band:
    V(w, r_build) * V(w, r_probe) / 2^w (each build variant meets each probe variant with
    probability 2^-w). One-sided bands (r_build = 0): `collision_rate`."""
    return probe_volume(width, build_radius) * probe_volume(width, probe_radius) / 2.0**width


def canonical_build_flip(diff: tuple[int, ...], band: Band, probe_radius: int) -> tuple[int, ...]:
    """The one build flip (per-word masks) whose join row a pair keeps on a two-sided band whose
    build rows emit radius-1 variants: none when the band distance d <= probe_radius (the probe
    variant alone bridges the pair), else the lowest set bit of the band difference (the last,
    least significant, word with a difference). `diff` is a xor b per word, unmasked; the rule
    is symmetric in a and b, so the a < b order rule still picks one orientation.

    Numpy-free reference of the rule `join.two_sided_rule` evaluates in the JVM.
    """
    masked = [x & m for x, m in zip(diff, band.masks, strict=True)]
    out = [0] * len(masked)
    if sum(bin(x).count("1") for x in masked) <= probe_radius:
        return tuple(out)
    last = max(i for i, x in enumerate(masked) if x)
    out[last] = masked[last] & -masked[last]
    return tuple(out)


def side_layouts(radii: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Build radii to try for bands of `radii`: every band of radius >= 2 one-sided (0) or with
    its build rows at radius 1 (the probe rows take the rest). Build radius 1 on a radius-1
    band only duplicates its rows, and larger build radii cost C(w, 2) rows on both sides."""
    out: list[tuple[int, ...]] = [()]
    for r in radii:
        out = [prefix + (b,) for prefix in out for b in ((0, 1) if r >= 2 else (0,))]
    return out


def pigeonhole_exact(radii: tuple[int, ...] | list[int], threshold: int) -> bool:
    """True when disjoint bands probed within `radii` find every pair within `threshold`.

    If the distance is at most k but band i has distance > r_i for every i, the total
    distance is at least sum(r_i + 1) > k: a contradiction. So sum(r_i + 1) > k suffices.
    """
    return sum(r + 1 for r in radii) > threshold


def radius_layouts(threshold: int, max_radius: int, nbits: int) -> list[tuple[int, ...]]:
    """Every minimal exact multiset of band radii (largest first): exact by the pigeonhole,
    and no band can be dropped while staying exact; at most `nbits` bands."""
    out: list[tuple[int, ...]] = []

    def extend(prefix: tuple[int, ...], largest: int) -> None:
        if pigeonhole_exact(prefix, threshold):
            if not pigeonhole_exact(prefix[:-1], threshold):  # the smallest band is needed
                out.append(prefix)
            return
        if len(prefix) >= nbits:
            return
        for r in range(largest, -1, -1):
            extend(prefix + (r,), r)

    extend((), max_radius)
    return out


def _side_rows(width: int, radius: int, build_radius: int) -> tuple[int, int]:
    """(probe, build) rows per hash of one band; a radius-0 band reuses its probe rows as its
    build rows (0 of its own)."""
    probe = probe_volume(width, radius - build_radius)
    return probe, (probe_volume(width, build_radius) if radius > 0 else 0)


def band_rows(width: int, radius: int, build_radius: int = 0) -> int:
    """Probe plus build rows per hash of one band (a radius-0 band reuses its rows as both sides)."""
    return sum(_side_rows(width, radius, build_radius))


def band_row_cost(width: int, radius: int, build_radius: int = 0) -> float:
    """`band_rows` weighted: each build row counts BUILD_ROW_COST probe rows."""
    probe, build = _side_rows(width, radius, build_radius)
    return probe + BUILD_ROW_COST * build


@functools.cache  # pure; the layouts of a wide hash share most (width, radius) bands
def band_cost(
    count: int, width: int, radius: int, candidate_cost: float = CANDIDATE_COST, build_radius: int = 0
) -> float:
    """Estimated cost of one band over `count` distinct uniform hashes: probe and build rows
    (a build row weighs BUILD_ROW_COST) plus `candidate_cost` per join row, counting each hash
    meeting itself (w + 1 times on a 1 + 1 two-sided band: 33 rows per hash at w = 32)."""
    rows = count * band_row_cost(width, radius, build_radius)
    probe = radius - build_radius
    joined = float(count) * count * join_rate(width, build_radius, probe)
    joined += count * join_multiplicity(width, 0, build_radius, probe)
    return rows + candidate_cost * joined


def band_widths(
    nbits: int,
    radii: tuple[int, ...],
    count: int,
    candidate_cost: float = CANDIDATE_COST,
    build_radii: tuple[int, ...] | None = None,
) -> list[int] | None:
    """Widths for bands of `radii` over at most `nbits` bits that minimise the summed
    `band_cost` (None if the bits do not suffice: a band needs more bits than its radius).

    Greedy marginal allocation, optimal for these convex per-band costs: every band starts at
    radius + 1 bits and each further bit goes where it lowers the cost most; bits that would
    only add probe rows stay unused (bands need not cover the hash)."""
    builds = build_radii or (0,) * len(radii)
    widths = [r + 1 for r in radii]
    if sum(widths) > nbits:
        return None

    def gain(i: int) -> float:
        w, r, rb = widths[i], radii[i], builds[i]
        return band_cost(count, w, r, candidate_cost, rb) - band_cost(count, w + 1, r, candidate_cost, rb)

    # a heap of (-gain, band): only the widened band's gain changes, and ties go to the first
    # band, as a scan of all gains for the first largest would choose (256-bit PDQ at k = 31
    # has ~10k layouts of 32 bands: seconds instead of a rescan per bit)
    heap = [(-gain(i), i) for i in range(len(widths))]
    heapq.heapify(heap)
    for _ in range(nbits - sum(widths)):
        negative, best = heap[0]
        if -negative <= 0:
            break
        widths[best] += 1
        heapq.heapreplace(heap, (-gain(best), best))
    return widths


def mih_band_count(nbits: int, count: int) -> int:
    """Multi-index hashing's number of substrings for `count` hashes of `nbits` bits:
    about nbits / log2(count), so that each band bucket holds about one hash (for reference
    and reports: `exact_plan` chooses by cost)."""
    return max(1, round(nbits / math.log2(max(count, 2))))


def _sample_pair_xor(sample: np.ndarray) -> np.ndarray:
    """XOR of all sample pairs: array (pairs, words)."""
    n = len(sample)
    if n < 2:
        return np.zeros((0, sample.shape[1] if sample.ndim == 2 else 1), dtype=np.uint64)
    ia, ib = np.triu_indices(n, k=1)
    return sample[ia] ^ sample[ib]


def _sample_band_distances(
    sample: np.ndarray, bands: list[Band], xor: np.ndarray | None = None
) -> np.ndarray:
    """Band distances of all sample pairs: array (pairs, bands) (`xor`: _sample_pair_xor(sample))."""
    xor = _sample_pair_xor(sample) if xor is None else xor
    out = np.zeros((len(bands), len(xor)), dtype=np.uint16)  # band-major: contiguous rows
    if len(xor) == 0:
        return out.T
    columns = [np.ascontiguousarray(xor[:, w]) for w in range(xor.shape[1])]
    for j, band in enumerate(bands):
        for w, m in enumerate(band.masks):
            if m:
                out[j] += np.bitwise_count(columns[w] & np.uint64(m))
    return out.T


def _join_rate(distances: np.ndarray, band_width: int, radius: int, build_radius: int) -> float:
    """Join rows per sampled pair on a band (the mean `join_multiplicity` of the sample's band
    distances), never below the uniform `join_rate`."""
    probe = radius - build_radius
    uniform = join_rate(band_width, build_radius, probe)
    if len(distances) == 0:
        return uniform
    table = np.array([join_multiplicity(band_width, d, build_radius, probe) for d in range(band_width + 1)])
    return max(uniform, float(np.mean(table[distances.astype(np.int64)])))


def _pair_rate(distances: np.ndarray, radius: int, band_width: int) -> float:
    """Fraction of pairs within `radius` on a band: sampled, never below the uniform rate."""
    uniform = _volume(band_width, radius) / 2.0**band_width
    if len(distances) == 0:
        return uniform
    return max(uniform, float(np.mean(distances <= radius)))


def exact_plan(
    nbits: int,
    words: int,
    threshold: int,
    count: int,
    sample: np.ndarray | None = None,
    max_radius: int = 2,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
    candidate_cost: float = CANDIDATE_COST,
    two_sided: bool | None = None,
) -> BandPlan:
    """The cheapest guaranteed plan: disjoint bands with radii r_i, sum(r_i + 1) > k, by cost.

    Every minimal radius layout (`radius_layouts`), with every band of radius >= 2 one- or
    two-sided (`side_layouts`), gets the widths that minimise its uniform cost (`band_widths`),
    so bands widen (and radii grow) as `count` grows; the layouts are then compared by cost =
    rows generated (probe and build variants) + `candidate_cost` x join rows, where the join
    rate of each band is measured on a sample of the distinct hashes (never below the uniform
    rate) and each hash meeting itself is counted. `two_sided`: None chooses by cost; False or
    True keeps only plans without or with a two-sided band (to compare them in benchmarks).
    """
    best: tuple[float, BandPlan] | None = None
    sample = sample if sample is not None else np.zeros((0, words), dtype=np.uint64)
    shortlist = []
    for radii in radius_layouts(threshold, max_radius, nbits):
        for builds in side_layouts(radii):
            if two_sided is not None and any(builds) != two_sided:
                continue
            widths = band_widths(nbits, radii, count, candidate_cost, builds)
            if widths is not None:
                uniform = sum(
                    band_cost(count, w, r, candidate_cost, rb)
                    for w, r, rb in zip(widths, radii, builds, strict=True)
                )
                shortlist.append((uniform, radii, builds, widths))
    # the sample (up to 2,000 hashes: 2M pairs per band) measures only the cheapest few layouts
    xor = _sample_pair_xor(sample)
    for _, radii, builds, widths in sorted(shortlist)[:SHORTLIST]:
        positions, start = [], 0
        for w in widths:
            positions.append(list(range(start, start + w)))
            start += w
        bands = [Band(bit_mask(part, nbits, words)) for part in positions]
        dists = _sample_band_distances(sample, bands, xor)
        rows = probes = candidates = 0.0
        for j, (band, radius, rb) in enumerate(zip(bands, radii, builds, strict=True)):
            probes += count * probe_volume(band.width, radius - rb)
            rows += count * probe_volume(band.width, rb)
            col = dists[:, j] if len(dists) else dists
            candidates += float(count) * count * _join_rate(col, band.width, radius, rb)
            candidates += count * join_multiplicity(band.width, 0, rb, radius - rb)  # self-meetings
        if max(radii) == 0:
            rows = 0.0  # equality bands: the build rows are the probe rows
        cost = probes + BUILD_ROW_COST * rows + candidate_cost * candidates
        plan = BandPlan(
            nbits=nbits,
            words=words,
            threshold=threshold,
            mode="exact",
            bands=tuple(bands),
            radius=max(radii),
            sub_bands=tuple(_sub_bands(b, nbits, words, threshold) for b in bands),
            hot_bucket=hot_bucket,
            estimate={"probe_rows": probes, "build_rows": rows, "candidates": candidates, "cost": cost},
            radii=tuple(radii) if len(set(radii)) > 1 else (),
            build_radii=tuple(builds) if any(builds) else (),
        )
        if best is None or cost < best[0]:
            best = (cost, plan)
    if best is None:
        raise ValueError(f"no exact band plan for k={threshold} on {nbits} bits")
    return best[1]


def sampled_recall(nbits: int, band_bits: int, bands: int, distance: int) -> float:
    """Probability that a pair at `distance` agrees on at least one of `bands` random bit samples."""
    if band_bits > nbits:
        return 0.0
    agree = math.comb(nbits - distance, band_bits) / math.comb(nbits, band_bits) if distance <= nbits else 0.0
    return 1.0 - (1.0 - agree) ** bands


def approx_plan(
    nbits: int,
    words: int,
    threshold: int,
    count: int,
    target_recall: float = DEFAULT_RECALL,
    sample: np.ndarray | None = None,
    seed: int = 0,
    max_bands: int = 64,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> BandPlan:
    """Bit-sampling LSH: L bands of b random bits, chosen by cost to reach `target_recall` at k.

    The recall reported is for a pair at distance exactly k (pairs closer are found more often).
    """
    rng = random.Random(seed)
    sample = sample if sample is not None else np.zeros((0, words), dtype=np.uint64)
    best: tuple[float, BandPlan] | None = None
    for b in range(1, nbits + 1):
        agree = sampled_recall(nbits, b, 1, threshold)
        if agree <= 0:
            break
        if agree >= 1:
            n_bands = 1
        else:
            n_bands = math.ceil(math.log(1 - target_recall) / math.log(1 - agree))
        if n_bands > max_bands:
            continue
        bands = [Band(bit_mask(sorted(rng.sample(range(nbits), b)), nbits, words)) for _ in range(n_bands)]
        dists = _sample_band_distances(sample, bands)
        candidates = sum(
            float(count) * count * _pair_rate(dists[:, j] if len(dists) else dists, 0, b)
            for j in range(n_bands)
        )
        cost = 2.0 * count * n_bands + candidates
        plan = BandPlan(
            nbits=nbits,
            words=words,
            threshold=threshold,
            mode="approx",
            bands=tuple(bands),
            radius=0,
            sub_bands=tuple(_sub_bands(bd, nbits, words, threshold) for bd in bands),
            hot_bucket=hot_bucket,
            expected_recall=sampled_recall(nbits, b, n_bands, threshold),
            estimate={
                "probe_rows": count * n_bands,
                "build_rows": count * n_bands,
                "candidates": candidates,
                "cost": cost,
            },
        )
        if best is None or cost < best[0]:
            best = (cost, plan)
    if best is None:
        raise ValueError(
            f"no approximate plan reaches recall {target_recall} at k={threshold} in {max_bands} bands"
        )
    return best[1]


def single_word(band: Band) -> int:
    """Index of the only word a band touches, or -1 when it spans words."""
    used = [i for i, m in enumerate(band.masks) if m]
    return used[0] if len(used) == 1 else -1


class Planner(Protocol):
    """Chooses the bands for `count` distinct hashes of `nbits` bits in `words` words, given a
    sample of them (rows of uint64 words): `exact_plan` and `approx_plan` have this shape."""

    def __call__(
        self, nbits: int, words: int, threshold: int, count: int, *, sample: np.ndarray
    ) -> BandPlan: ...


def planner_for(
    mode: str = "exact", target_recall: float = DEFAULT_RECALL, hot_bucket: int = DEFAULT_HOT_BUCKET
) -> Planner:
    """The planner of a mode: exact (`exact_plan`) or approx (`approx_plan` to `target_recall`)."""
    if mode == "exact":
        return partial(exact_plan, hot_bucket=hot_bucket)
    if mode == "approx":
        return partial(approx_plan, target_recall=target_recall, hot_bucket=hot_bucket)
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
