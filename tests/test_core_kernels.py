"""The core's numpy and numba kernels against the libraries whose numbers they must reproduce exactly:
pywt for the Haar steps of whash, numpy.bincount for colorhash's category counts, Pillow's
MedianFilter for the segmentation's median."""

from __future__ import annotations

import numpy as np
import pytest
import pywt
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from sparkhash.core import colour, colour_kernels, haar, haar_kernels
from sparkhash.core.segmentation import median3


def _pictures(n: int):
    rng = np.random.default_rng(n)
    y, x = np.mgrid[0:n, 0:n]
    yield "noise", rng.integers(0, 256, (n, n)).astype(np.uint8)
    yield "flat", np.full((n, n), 200, np.uint8)  # ties everywhere: the float noise decides
    yield "binary", (rng.integers(0, 2, (n, n)) * 255).astype(np.uint8)
    yield "smooth", ((np.sin(x / 37) + np.cos(y / 23)) * 60 + 128).astype(np.uint8)


def _pywt_whash_low(values, ll_max_level, dwt_level):
    coeffs = list(pywt.wavedec2(values, "haar", level=ll_max_level))
    coeffs[0] *= 0
    return pywt.wavedec2(pywt.waverec2(coeffs, "haar"), "haar", level=dwt_level)[0]


@pytest.mark.parametrize("n", [2, 4, 16, 64, 256, 1024])
def test_whash_haar_equals_pywt_for_every_level(n):
    top = n.bit_length() - 1
    for name, pixels in _pictures(n):
        values = pixels / 255.0
        for ll_max_level in range(1, top + 1):
            for dwt_level in {1, max(1, ll_max_level - 3), ll_max_level}:
                want = _pywt_whash_low(values, ll_max_level, dwt_level)
                got = haar._whash_haar_low(values, ll_max_level, dwt_level)
                assert np.array_equal(want, got), (n, name, ll_max_level, dwt_level)
                compiled = haar_kernels.whash_haar_low(pixels, ll_max_level, dwt_level)
                assert np.array_equal(want, compiled), (n, name, ll_max_level, dwt_level)
                # the sign of zero too (array_equal compares -0.0 == 0.0)
                assert np.array_equal(np.signbit(want), np.signbit(compiled)), (n, name)


@pytest.mark.parametrize("n", [8, 512])
def test_remove_max_haar_ll_equals_pywt(n):
    for name, pixels in _pictures(n):
        values = pixels / 255.0
        coeffs = list(pywt.wavedec2(values, "haar", level=n.bit_length() - 1))
        coeffs[0] *= 0
        ours = haar._remove_max_haar_ll(values, n.bit_length() - 1)
        assert np.array_equal(pywt.waverec2(coeffs, "haar"), ours), name


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1001, 100_000])
def test_category_counts_equal_bincount(size):
    categories = np.random.default_rng(size).integers(0, 15, size).astype(np.uint8)
    assert np.array_equal(colour._category_counts(categories), np.bincount(categories, minlength=15))
    if size > 2:  # a 2-D, non-contiguous view counts the same
        grid = np.random.default_rng(1).integers(0, 15, (size, 4)).astype(np.uint8)[:, ::2]
        assert np.array_equal(colour._category_counts(grid), np.bincount(grid.ravel(), minlength=15))


@settings(max_examples=200, deadline=None)
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    levels=st.sampled_from([2, 3, 256]),  # few levels: many ties inside a neighbourhood
    seed=st.integers(0, 2**32 - 1),
)
def test_median3_equals_pillow_median_filter(height, width, levels, seed):
    values = np.random.default_rng(seed).integers(0, levels, (height, width))
    pixels = (values * (255 // max(1, levels - 1))).astype(np.uint8)
    want = np.asarray(Image.fromarray(pixels).filter(ImageFilter.MedianFilter()))
    assert np.array_equal(median3(pixels), want)


def test_median3_on_a_segmentation_sized_image():
    pixels = np.random.default_rng(7).integers(0, 256, (300, 300)).astype(np.uint8)
    want = np.asarray(Image.fromarray(pixels).filter(ImageFilter.MedianFilter()))
    assert np.array_equal(median3(pixels), want)


@pytest.mark.parametrize("shape", [(1, 1), (0, 5), (37, 23), (300, 200)])
def test_greyscale_colorhash_counts_equal_the_hsv_path(shape):
    # An 'L' image's HSV has saturation 0: the shortcut counts black (< 32) and gray only.
    rng = np.random.default_rng(shape[0])
    for pixels in (rng.integers(0, 256, shape), np.full(shape, 31), np.full(shape, 32)):
        image = Image.fromarray(pixels.astype(np.uint8), "L")
        want = colour.colorhash_counts(image, image.convert("HSV"))
        assert colour.colorhash_counts_of(image).tolist() == want.tolist()


@pytest.fixture(scope="module")
def any_24_bit_table():
    return np.random.default_rng(0).integers(0, 15, 1 << 24, dtype=np.uint8)


@pytest.mark.parametrize("size", [0, 1, 3, 4, 129, 131, 132, 1001])  # around the prefetch distance
def test_compiled_colour_counts_equal_lookup_and_bincount(size, any_24_bit_table):
    # Words carry a 4th byte (alpha / pad) that must be ignored; the table is any 24-bit table.
    rng = np.random.default_rng(size)
    table = any_24_bit_table
    words = rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
    want = np.bincount(table[words & 0xFFFFFF], minlength=16)
    assert np.array_equal(colour_kernels.category_counts(words, table), want)
    strided = np.repeat(words, 2)[::2]  # a non-contiguous view counts the same
    assert np.array_equal(colour_kernels.category_counts(strided, table), want)


def test_compiled_colour_counts_of_a_photo_equal_the_hsv_path():
    # Large RGB images go through the 24-bit table and the compiled count; Pillow's HSV
    # conversion of the same pixels is the reference.
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:1100, 0:1000]
    rgb = np.stack([(x * 7 + y) % 256, (y * 3) % 256, rng.integers(0, 256, x.shape)], axis=-1)
    image = Image.fromarray(rgb.astype(np.uint8), "RGB")
    assert image.size[0] * image.size[1] >= colour.RGB_TABLE_MIN_PIXELS
    want = colour.colorhash_counts(image.convert("L"), image.convert("HSV"))
    assert colour.colorhash_counts_of(image).tolist() == want.tolist()


@pytest.mark.parametrize(
    "shape",
    [
        (1, 1),
        (1, 17),
        (17, 1),
        (16, 16),
        (16, 32),
        (15, 33),
        (33, 15),
        (48, 40),
        (33, 70),
        (64, 96),
        (0, 5),
        (5, 0),
    ],
)
def test_transpose_equals_numpy_for_blocks_edges_and_views(shape):
    """16 x 32 blocks, the ragged edges, empty arrays, views with a row stride, and views with a
    column stride (element by element)."""
    from sparkhash.core import resample

    rng = np.random.default_rng(sum(shape))
    x = rng.integers(0, 256, shape, dtype=np.uint8)
    assert np.array_equal(resample.transpose(x), x.T)
    parent = rng.integers(0, 256, (shape[0] + 7, shape[1] + 9), dtype=np.uint8)
    view = parent[3 : 3 + shape[0], 5 : 5 + shape[1]]
    assert np.array_equal(resample.transpose(view), view.T)
    strided = rng.integers(0, 256, (shape[0], 2 * shape[1]), dtype=np.uint8)[:, ::2]
    assert np.array_equal(resample.transpose(strided), strided.T)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(-3, 3).map(float),
        min_size=1,
        max_size=70,
    )
)
def test_median_equals_numpy_median(values):
    # phash and whash threshold at the median: the shortcut must give numpy's float64 exactly
    from sparkhash.core.hashes import median

    array = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    ours, theirs = median(array), np.median(array)
    assert type(ours) is type(theirs)
    assert (np.isnan(ours) and np.isnan(theirs)) or ours == theirs
