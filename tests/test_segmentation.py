"""Parity of sparkhash.core.segmentation with imagehash 4.3.2 (the real package is the oracle)."""

from __future__ import annotations

import subprocess
import sys

import imagehash
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageFilter
from scipy import ndimage

import sparkhash.core as core
from sparkhash.core import compat, crop_resistant
from sparkhash.core import segmentation as seg
from sparkhash.core.classes import ImageMultiHash

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def outcome(func, *args):
    """(result, None) or (None, (exception type, message)), to compare two implementations."""
    try:
        return func(*args), None
    except Exception as exc:  # noqa: BLE001 - we compare whatever is raised
        return None, (type(exc), str(exc))


def assert_same_segments(pixels, threshold, min_size):
    expected, expected_error = outcome(imagehash._find_all_segments, pixels, threshold, min_size)
    got, got_error = outcome(compat._find_all_segments, pixels, threshold, min_size)
    assert got_error == expected_error
    if expected_error is not None:
        with pytest.raises(expected_error[0]):
            seg.segment_boxes(pixels, threshold, min_size)
        return expected
    assert got == expected  # same sets, same order
    boxes = seg.segment_boxes(pixels, threshold, min_size)
    assert boxes == [box_of(s) for s in expected]
    assert all(type(v) is int for box in boxes for v in box)
    return expected


def box_of(segment):
    rows = [p[0] for p in segment]
    cols = [p[1] for p in segment]
    return (int(min(rows)), int(min(cols)), int(max(rows)), int(max(cols)), len(segment))


def smooth_array(rng, shape, sigma):
    """Random float32 brightness in 0..255, Gaussian-smoothed (sigma 0: raw noise)."""
    arr = rng.random(shape)
    if sigma:
        arr = ndimage.gaussian_filter(arr, sigma)
    lo, hi = arr.min(), arr.max()
    if hi > lo:
        arr = (arr - lo) / (hi - lo)
    return (arr * 255).astype(np.float32)


def photo_like(width, height, seed=0):
    """A deterministic RGB image with smooth blobs, edges and a gradient: many segments."""
    rng = np.random.default_rng(seed)
    channels = [
        ndimage.gaussian_filter(rng.random((height, width)), max(2.0, min(width, height) / 12))
        for _ in range(3)
    ]
    arr = np.stack([(c - c.min()) / (np.ptp(c) or 1) for c in channels], axis=-1)
    arr = arr * 0.8 + np.linspace(0, 0.2, width)[None, :, None]
    arr[height // 3 : height // 2, width // 4 : width // 2] = [0.95, 0.9, 0.1]
    return Image.fromarray((arr.clip(0, 1) * 255).astype(np.uint8), "RGB")


# --------------------------------------------------------------------------------------------
# _find_all_segments / segment_boxes
# --------------------------------------------------------------------------------------------


def _random_cases():
    cases = []
    shapes = [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
        (3, 3),
        (3, 9),
        (5, 5),
        (7, 4),
        (8, 8),
        (13, 17),
        (20, 20),
        (31, 7),
        (40, 64),
        (64, 40),
        (100, 100),
        (1, 150),
        (150, 1),
        (3, 300),
    ]
    for i, shape in enumerate(shapes):
        for sigma in (0, 1, 3):
            threshold = [128, 0, 255, 64, 200][i % 5]
            min_size = [0, 1, 2, 10, -1, 500][(i + sigma) % 6]
            cases.append(
                pytest.param(
                    shape, sigma, threshold, min_size, id=f"{shape}-s{sigma}-t{threshold}-m{min_size}"
                )
            )
    # The real use: 300 x 300 (and larger) photo-like arrays at the default parameters.
    for shape, sigma, min_size in (
        ((300, 300), 8, 500),
        ((300, 300), 4, 50),
        ((400, 400), 10, 500),
        ((250, 333), 6, 100),
    ):
        cases.append(pytest.param(shape, sigma, 128, min_size, id=f"{shape}-s{sigma}-m{min_size}"))
    return cases


@pytest.mark.parametrize("shape,sigma,threshold,min_size", _random_cases())
def test_random_smoothed_arrays(shape, sigma, threshold, min_size):
    rng = np.random.default_rng(hash((shape, sigma)) & 0xFFFF)
    assert_same_segments(smooth_array(rng, shape, sigma), threshold, min_size)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 9, 16, 50, 300])
@pytest.mark.parametrize("value", [0.0, 128.0, 255.0])
@pytest.mark.parametrize("min_size", [0, 1, 500])
def test_uniform_arrays(size, value, min_size):
    # value 255: all hill; 0 and 128 (not > 128): all valley. Small squares never enter the
    # valley loop at all (2*(R+C) >= R*C), larger ones stop after the single valley.
    assert_same_segments(np.full((size, size), value, dtype=np.float32), 128, min_size)


@pytest.mark.parametrize("length", [1, 2, 3, 10, 400])
@pytest.mark.parametrize("vertical", [False, True])
def test_thin_strips(length, vertical):
    rng = np.random.default_rng(length)
    for rows in (1, 2, 3):
        arr = smooth_array(rng, (rows, length), 1)
        arr = arr.T if vertical else arr
        for min_size in (0, 1, 2):
            assert_same_segments(np.ascontiguousarray(arr), 128, min_size)


@pytest.mark.parametrize("seed", range(6))
def test_blocky_patterns(seed):
    rng = np.random.default_rng(seed)
    for block in (1, 2, 3, 7):
        grid = rng.integers(0, 2, size=(rng.integers(2, 12), rng.integers(2, 12)))
        arr = np.kron(grid, np.ones((block, block))).astype(np.float32) * 255
        for min_size in (0, 1, 3, 20):
            assert_same_segments(arr, 128, min_size)


@pytest.mark.parametrize("density", [0.02, 0.1, 0.3, 0.5])
@pytest.mark.parametrize("hill_background", [False, True])
def test_lone_pixels(density, hill_background):
    # Salt noise: many 1-pixel components that never count towards the valley stop rule.
    rng = np.random.default_rng(int(density * 100) + hill_background)
    for shape in ((12, 12), (30, 45), (80, 80)):
        salt = rng.random(shape) < density
        arr = np.where(salt != hill_background, 255, 0).astype(np.float32)
        for min_size in (0, 1, 2, 30):
            assert_same_segments(arr, 128, min_size)


@pytest.mark.parametrize("size", [8, 10, 21, 50])
def test_checkerboard_raises_index_error(size):
    board = (np.indices((size, size)).sum(axis=0) % 2 * 255).astype(np.float32)
    with pytest.raises(IndexError):
        imagehash._find_all_segments(board, 128, 0)
    assert_same_segments(board, 128, 0)  # same exception type and message
    with pytest.raises(IndexError, match="index 0 is out of bounds"):
        seg.segment_boxes(board, 128, 0)


def test_small_checkerboards():
    # Every pixel is a lone component, so V stays at the ring's 2*(R+C) cells: boards with
    # R*C <= 2*(R+C) (up to 4 x 4) never enter the valley loop; larger ones run out of valleys.
    for size in (2, 3, 4, 5, 6, 7):
        board = (np.indices((size, size)).sum(axis=0) % 2 * 255).astype(np.float32)
        assert_same_segments(board, 128, 0)
    assert compat._find_all_segments(np.indices((4, 4)).sum(axis=0) % 2 * 255.0, 128, 0) != []
    with pytest.raises(IndexError):
        compat._find_all_segments(np.indices((5, 5)).sum(axis=0) % 2 * 255.0, 128, 0)


def test_trailing_valleys_are_never_examined():
    # A hill over the top half and a hill wall splitting the bottom half into two valleys.
    # V = 80 (ring) + 210 (hill) + 140 (first valley) = 430 >= 400 after the first valley, so
    # the 50-pixel second valley is never examined although 50 > min_segment_size.
    arr = np.zeros((20, 20), dtype=np.float32)
    arr[:10, :] = 255
    arr[10:, 14] = 255
    expected = assert_same_segments(arr, 128, 5)
    assert [len(s) for s in expected] == [210, 140]


def test_hills_come_before_valleys_in_first_pixel_order():
    arr = np.zeros((6, 6), dtype=np.float32)
    arr[0:2, 4:6] = 255  # hill whose first pixel is (0, 4)
    arr[3:6, 0:2] = 255  # hill starting at (3, 0)
    expected = assert_same_segments(arr, 128, 0)
    assert [min(s) for s in expected][:2] == [(0, 4), (3, 0)]


def test_segment_labels_match_sets():
    rng = np.random.default_rng(7)
    arr = smooth_array(rng, (90, 120), 3)
    labels, sizes = seg.segment_labels(arr, 128, 20)
    expected = imagehash._find_all_segments(arr, 128, 20)
    assert labels.shape == arr.shape and labels.dtype == np.int32
    assert sizes.tolist() == [len(s) for s in expected]
    for k, segment in enumerate(expected, start=1):
        rows, cols = np.nonzero(labels == k)
        assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == segment


def test_integer_and_float64_pixels():
    rng = np.random.default_rng(3)
    arr = smooth_array(rng, (40, 50), 2)
    assert_same_segments(arr.astype(np.uint8), 128, 10)
    assert_same_segments(arr.astype(np.float64), 127.5, 10)


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (5, 0)])
def test_empty_pixel_arrays(shape):
    assert_same_segments(np.zeros(shape, np.float32), 128, 0)


def test_odd_thresholds_and_min_sizes():
    rng = np.random.default_rng(5)
    arr = smooth_array(rng, (30, 30), 0)
    for threshold, min_size in (
        (127.5, 2.5),
        (float("nan"), 1),
        (128, float("nan")),
        (128, -np.inf),
        (128, True),
    ):
        assert_same_segments(arr, threshold, min_size)


def test_component_order_fallback(monkeypatch):
    # If scipy ever numbered components in another order, they are renumbered by first pixel.
    rng = np.random.default_rng(9)
    arr = smooth_array(rng, (40, 40), 1.5)
    real_label = ndimage.label

    def reversed_label(mask, structure=None):
        labels, count = real_label(mask, structure=structure)
        flipped = np.where(labels > 0, count + 1 - labels, 0).astype(labels.dtype)
        return flipped, count

    monkeypatch.setattr(seg.ndimage, "label", reversed_label)
    assert_same_segments(arr, 128, 1)


def test_non_2d_pixels_raise_value_error():
    for bad in (np.zeros(5, np.float32), np.zeros((2, 2, 2), np.float32)):
        _, expected = outcome(imagehash._find_all_segments, bad, 128, 0)
        _, got = outcome(compat._find_all_segments, bad, 128, 0)
        assert expected is not None and got is not None and got[0] is expected[0]


small_arrays = hnp.arrays(
    dtype=np.float32,
    shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=14),
    elements=st.sampled_from([0.0, 100.0, 128.0, 129.0, 255.0]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pixels=small_arrays,
    threshold=st.sampled_from([0, 99, 128, 200]),
    min_size=st.integers(min_value=-1, max_value=4),
)
def test_property_segments_equal(pixels, threshold, min_size):
    assert_same_segments(pixels, threshold, min_size)


# --------------------------------------------------------------------------------------------
# _find_region
# --------------------------------------------------------------------------------------------


def ring(rows, cols):
    cells = {(-1, c) for c in range(cols)} | {(rows, c) for c in range(cols)}
    return cells | {(r, -1) for r in range(rows)} | {(r, cols) for r in range(rows)}


def assert_same_region(mask, segmented):
    expected_set = set(segmented)
    got_set = set(segmented)
    expected, expected_error = outcome(imagehash._find_region, mask, expected_set)
    got, got_error = outcome(compat._find_region, mask, got_set)
    assert (got_error is None) == (expected_error is None)
    if expected_error is not None:
        assert got_error[0] is expected_error[0]
        return
    assert got == expected
    assert got_set == expected_set  # the in-place update


def test_find_region_basic_and_updates():
    mask = np.zeros((5, 6), dtype=bool)
    mask[1:3, 2:5] = True
    mask[4, 0] = True
    assert_same_region(mask, ring(5, 6))
    segmented = ring(5, 6)
    region = compat._find_region(mask, segmented)
    assert region == {(r, c) for r in (1, 2) for c in (2, 3, 4)}
    assert segmented == ring(5, 6) | region


def test_find_region_lone_pixel_is_not_added():
    mask = np.zeros((4, 4), dtype=bool)
    mask[2, 1] = True
    segmented = ring(4, 4)
    assert compat._find_region(mask, segmented) == {(2, 1)}
    assert segmented == ring(4, 4)
    assert_same_region(mask, ring(4, 4))


def test_find_region_no_true_pixel():
    for mask in (np.zeros((3, 3), bool), np.zeros((0, 4), bool)):
        with pytest.raises(IndexError):
            imagehash._find_region(mask, set())
        with pytest.raises(IndexError, match="index 0 is out of bounds"):
            compat._find_region(mask, set())


def test_find_region_blocked_and_start_already_segmented():
    mask = np.ones((4, 5), dtype=bool)
    # A wall of already-segmented pixels cuts the component; the start pixel is taken even
    # though it is itself in segmented_pixels.
    base = ring(4, 5)
    assert_same_region(mask, base | {(0, 2), (1, 2), (2, 2)})
    assert_same_region(mask, base | {(0, 0)})
    assert_same_region(mask, base | {(0, 0), (0, 1), (1, 0)})
    assert_same_region(mask, base | {(3, 4)})


def test_find_region_without_ring_wraps_or_raises_like_imagehash():
    # Without the out-of-image ring, imagehash indexes with -1 (wrap-around) or R (IndexError).
    mask = np.zeros((4, 4), dtype=bool)
    mask[0, 1] = True
    mask[3, 1] = True  # reachable from (0, 1) through the wrapped (-1, 1)
    assert_same_region(mask, {(-2, 1), (4, 1), (0, 0), (0, 2), (3, 0), (3, 2), (1, 1), (2, 1)})
    assert_same_region(mask, set())  # raises IndexError somewhere in both
    top_only = np.zeros((3, 3), dtype=bool)
    top_only[0, 0] = True
    assert_same_region(top_only, set())


@settings(max_examples=150, deadline=None)
@given(
    mask=hnp.arrays(dtype=bool, shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8)),
    data=st.data(),
)
def test_property_find_region(mask, data):
    rows, cols = mask.shape
    inside = st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1))
    extra = data.draw(st.sets(inside, max_size=6))
    with_ring = data.draw(st.booleans())
    assert_same_region(mask, (ring(rows, cols) if with_ring else set()) | extra)


# --------------------------------------------------------------------------------------------
# boxes, selection, preprocessing
# --------------------------------------------------------------------------------------------


def test_segmentation_pixels_match_imagehash_pipeline():
    img = photo_like(257, 190, seed=4)
    for size in (300, 150, 64, 1):
        expected = np.array(
            img.convert("L")
            .resize((size, size), imagehash.ANTIALIAS)
            .filter(ImageFilter.GaussianBlur())
            .filter(ImageFilter.MedianFilter())
        ).astype(np.float32)
        got = seg.segmentation_pixels(img.convert("L"), size)
        assert got.dtype == np.float32 and got.shape == (size, size)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(seg.segmentation_pixels(img, size), expected)


def test_crop_boxes_round_half_to_even_like_pillow():
    # W/S = 0.5: coordinates k/2 round half to even.
    segments = [(75, 75, 75, 75, 1), (5, 3, 6, 9, 9), (0, 0, 299, 299, 90000)]
    floats = seg.float_crop_boxes(segments, 150, 150, 300)
    assert floats[0] == (37.5, 37.5, 38.0, 38.0)
    boxes = seg.crop_boxes(segments, 150, 150, 300)
    assert boxes == [(38, 38, 38, 38), (2, 2, 5, 4), (0, 0, 150, 150)]
    img = photo_like(150, 150)
    for fbox, ibox in zip(floats, boxes, strict=True):
        by_pillow = img.crop(fbox)
        assert by_pillow.size == (ibox[2] - ibox[0], ibox[3] - ibox[1])
        assert img.crop(ibox).tobytes() == by_pillow.tobytes()


def test_crop_boxes_agree_with_pillow_on_odd_scales():
    rng = np.random.default_rng(11)
    for width, height, size in (
        (640, 480, 300),
        (333, 777, 300),
        (150, 150, 150),
        (31, 17, 300),
        (1000, 10, 7),
    ):
        img = photo_like(width, height, seed=width)
        segments = []
        for _ in range(40):
            r0, r1 = sorted(rng.integers(0, size, 2).tolist())
            c0, c1 = sorted(rng.integers(0, size, 2).tolist())
            segments.append((r0, c0, r1, c1, 1))
        for fbox, ibox in zip(
            seg.float_crop_boxes(segments, width, height, size),
            seg.crop_boxes(segments, width, height, size),
            strict=True,
        ):
            assert all(type(v) is int for v in ibox)
            assert ibox == tuple(int(round(v)) for v in fbox)
            assert img.crop(fbox).size == (ibox[2] - ibox[0], ibox[3] - ibox[1])


def test_select_segments_fallback_and_limit():
    assert seg.select_segments([], 300) == [(0, 0, 299, 299, 2)]
    assert seg.select_segments([], 1) == [(0, 0, 0, 0, 1)]  # {(0,0),(0,0)} has one element
    segments = [(0, 0, 1, 1, 5), (0, 0, 2, 2, 9), (1, 1, 3, 3, 5), (0, 0, 9, 9, 9), (4, 4, 4, 4, 1)]
    assert seg.select_segments(segments, 300, None) == segments
    assert seg.select_segments(segments, 300, 0) == segments
    # stable: equal counts keep their original order
    assert seg.select_segments(segments, 300, 3) == [segments[1], segments[3], segments[0]]
    assert seg.select_segments(segments, 300, 10) == [segments[i] for i in (1, 3, 0, 2, 4)]
    assert seg.select_segments(segments, 300, -1) == [segments[i] for i in (1, 3, 0, 2)]


# --------------------------------------------------------------------------------------------
# crop_resistant_hash
# --------------------------------------------------------------------------------------------


def convert_mode(img: Image.Image, mode: str) -> Image.Image:
    if mode == "RGBA":
        out = img.convert("RGBA")
        alpha = np.linspace(0, 255, img.width * img.height).reshape(img.height, img.width)
        out.putalpha(Image.fromarray(alpha.astype(np.uint8), "L"))
        return out
    if mode == "P":
        return img.quantize(colors=32)
    if mode == "I;16":
        arr = np.asarray(img.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(arr)  # mode I;16
    return img.convert(mode)


def assert_same_crh(img, **kwargs):
    """Ours equals imagehash's, both given imagehash's hash_func (our generic path) and given
    our function of the same name (the path through compute_hashes)."""
    own = getattr(core, kwargs["hash_func"].__name__, None) if "hash_func" in kwargs else None
    if own is not None:
        _assert_same_crh(img, kwargs, dict(kwargs, hash_func=own))
    return _assert_same_crh(img, kwargs, kwargs)


def _assert_same_crh(img, kwargs, our_kwargs):
    expected, expected_error = outcome(lambda: imagehash.crop_resistant_hash(img, **kwargs))
    got, got_error = outcome(lambda: crop_resistant.crop_resistant_hash(img, **our_kwargs))
    assert (got_error is None) == (expected_error is None), (got_error, expected_error)
    if expected_error is not None:
        assert got_error[0] is expected_error[0]
        return None
    assert isinstance(got, ImageMultiHash)
    assert str(got) == str(expected)
    assert len(got.segment_hashes) == len(expected.segment_hashes)
    return got


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "I", "F", "1", "YCbCr"])
def test_crop_resistant_hash_modes(mode):
    img = convert_mode(photo_like(320, 240, seed=1), mode)
    assert img.mode == mode
    assert_same_crh(img, hash_func=imagehash.dhash)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(hash_func=imagehash.average_hash),
        dict(hash_func=imagehash.phash, limit_segments=3),
        dict(hash_func=imagehash.dhash, limit_segments=1),
        dict(hash_func=imagehash.dhash, limit_segments=0),
        dict(hash_func=imagehash.dhash, limit_segments=-2),
        dict(hash_func=imagehash.dhash, segment_threshold=60, min_segment_size=50),
        dict(hash_func=imagehash.dhash, segment_threshold=200, min_segment_size=0),
        dict(hash_func=imagehash.dhash, min_segment_size=100000),  # no segment: the fallback
        dict(hash_func=imagehash.average_hash, segmentation_image_size=150),
        dict(hash_func=imagehash.dhash, segmentation_image_size=64, min_segment_size=10),
        dict(hash_func=imagehash.dhash_vertical, segmentation_image_size=500),
    ],
    ids=lambda kw: ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items()),
)
def test_crop_resistant_hash_options(kwargs):
    assert_same_crh(photo_like(400, 300, seed=2), **kwargs)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 9, 33])
def test_crop_resistant_hash_tiny_segmentation_sizes(size):
    # Tiny S: the ring rule dominates (no valley examined for S <= 4), the fallback box covers
    # the image, and boxes are scaled by large factors.
    img = photo_like(90, 70, seed=size)
    for min_size in (0, 1, 500):
        assert_same_crh(
            img, hash_func=imagehash.dhash, segmentation_image_size=size, min_segment_size=min_size
        )
    assert_same_crh(
        img,
        hash_func=imagehash.average_hash,
        segmentation_image_size=size,
        min_segment_size=0,
        limit_segments=2,
    )


def test_zero_pixel_crops_at_size_150():
    # A 75 x 75 noisy image at S = 150: W/S = 0.5, so tiny segments (min_segment_size=0) get
    # boxes whose edges round (half to even) to the same value: 0-px crops, which dhash and
    # ahash hash as all zeros.
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.normal(128, 40, (75, 75)).clip(0, 255).astype(np.uint8), "L").convert("RGB")
    pixels = seg.segmentation_pixels(img.convert("L"), 150)
    boxes = seg.crop_boxes(seg.segment_boxes(pixels, 128, 0), 75, 75, 150)
    assert any(left == right or top == bottom for left, top, right, bottom in boxes)
    for hash_func in (imagehash.dhash, imagehash.average_hash):
        assert_same_crh(img, hash_func=hash_func, segmentation_image_size=150, min_segment_size=0)
    assert_same_crh(
        img, hash_func=imagehash.dhash, segmentation_image_size=150, min_segment_size=0, limit_segments=5
    )


def test_crop_resistant_hash_known_image():
    img = _known_image()
    if img is None:
        pytest.skip("imagehash.png not installed")
    assert str(crop_resistant.crop_resistant_hash(img, hash_func=imagehash.dhash)) == "0026273b2b19550e"


def _known_image():
    from pathlib import Path

    path = Path(sys.prefix) / "images" / "imagehash.png"
    return Image.open(path) if path.exists() else None


def test_hash_func_none_raises_type_error():
    img = photo_like(64, 64)
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        imagehash.crop_resistant_hash(img, hash_func=None)
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        crop_resistant.crop_resistant_hash(img, hash_func=None)


def test_default_hash_func_is_sparkhash_dhash():
    from sparkhash.core.hashes import dhash

    assert crop_resistant.crop_resistant_hash.__defaults__[0] is dhash  # same default object as imagehash's
    img = photo_like(400, 300, seed=3)
    got = crop_resistant.crop_resistant_hash(img)
    assert str(got) == str(imagehash.crop_resistant_hash(img))
    from sparkhash.core.classes import ImageHash

    assert all(isinstance(h, ImageHash) for h in got.segment_hashes)
    known = _known_image()
    if known is not None:
        assert str(crop_resistant.crop_resistant_hash(known)) == "0026273b2b19550e"
        # Known value from the behaviour notes (imagehash takes ~4 s for this; we do not re-run it).
        assert str(crop_resistant.crop_resistant_hash(known, segmentation_image_size=1000)) == (
            "0026273b2b19550e,6286373334662535,6636192c47639573,"
            "999d6d67a3e82125,27a327c38191a4ad,938971382b328a46"
        )


def test_core_does_not_import_imagehash_or_pyspark():
    code = (
        "import sys, sparkhash.core.segmentation; "
        "bad = [m for m in ('imagehash', 'pyspark') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
