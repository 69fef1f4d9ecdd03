"""sparkhash.core.resample against Pillow's own LANCZOS resize, byte for byte.

The hashes' parity tests go through the cost model, which sends small images to Pillow; these
tests force the matrix products on every shape so that both pass orders, upscaling, one-pass
resizes and shared first passes are checked directly.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sparkhash.core import hashes, resample

pytestmark = pytest.mark.skipif(
    not resample.products_enabled(), reason="products disabled for this Pillow/platform"
)


def test_verified_pillow_passes_the_battery():
    # Pillow 13 on x86-64 is what the reimplementation follows: there the battery must pass.
    if Image.__version__.split(".")[0] == "13" and resample.ENABLED:
        assert resample.products_enabled()


def test_the_battery_runs_at_import_not_in_the_first_resize():
    # A fresh interpreter: importing the core has computed the verdict, so no user call pays it.
    code = "from sparkhash.core import resample; print(resample._agrees)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(resample.ENABLED and resample.products_enabled())


def test_a_disagreeing_resampler_turns_the_products_off(monkeypatch):
    # Pillow before its vertical-first rule always resampled horizontally first: a resampler
    # with that order fails the battery, so products_enabled() warns and reports False.
    monkeypatch.setattr(resample, "vertical_first", lambda *size: False)
    monkeypatch.setattr(resample, "_agrees", None)
    with pytest.warns(RuntimeWarning, match="differs"):
        assert resample.products_enabled() is False
    grey = _pictures(200, 400, seed=1)[0]  # and resizes still come out as Pillow's
    assert np.array_equal(resample.resize(grey, 8, 8), _pillow(grey, (8, 8)))


def _pillow(grey: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.LANCZOS))


def _pictures(width: int, height: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    return [
        rng.integers(0, 256, (height, width), dtype=np.uint8),  # noise: every coefficient matters
        ((np.sin(x / 7.0) + np.cos(y / 5.0)) * 60 + 128).astype(np.uint8),
        (rng.integers(0, 2, (height, width)) * 255).astype(np.uint8),  # hard edges: clipping
        np.full((height, width), 255, np.uint8),
    ]


SHAPES = [
    (1, 1),
    (1, 40),
    (40, 1),
    (2, 3),
    (9, 8),
    (37, 23),
    (300, 200),
    (200, 300),
    (640, 97),
    (1500, 1000),
    (1000, 1500),
    (1600, 1200),
    (333, 2048),
]
TARGETS = [
    (8, 8),
    (9, 8),
    (8, 9),
    (32, 32),
    (64, 64),
    (300, 300),
    (512, 512),
    (1024, 1024),
    (17, 5),
    (5, 700),
]


@pytest.mark.parametrize("width,height", SHAPES)
def test_products_equal_pillow_on_every_shape(width, height):
    sizes = TARGETS + [(width, 8), (8, height), (max(1, width // 2), height), (width, max(1, height // 3))]
    for i, grey in enumerate(_pictures(width, height, seed=width * 7 + height)):
        ours = resample.resize_many(grey, sizes, always_products=True)
        for size in sizes:
            assert np.array_equal(ours[size], _pillow(grey, size)), (width, height, size, i)


def test_both_pass_orders_are_exercised():
    # Pillow 13 goes vertical first when the height shrinks by more than twice the width.
    assert resample.vertical_first(1000, 3000, 8, 8)
    assert not resample.vertical_first(1500, 1000, 8, 8)
    assert not resample.vertical_first(100, 100, 50, 200)  # the height grows
    assert resample._plan(400, 1300, 8, 8).vertical_first
    assert not resample._plan(400, 1300, 9, 1290).vertical_first
    grey = _pictures(400, 1300, seed=3)[0]
    for size in [(8, 8), (390, 9), (9, 390), (9, 1290), (400, 16), (16, 1300)]:
        assert np.array_equal(resample.resize(grey, *size), _pillow(grey, size)), size


def test_same_size_is_a_copy_and_sizes_share_first_pass():
    grey = _pictures(120, 80, seed=5)[1]
    out = resample.resize_many(grey, [(120, 80), (8, 8), (8, 9), (8, 80)], always_products=True)
    assert np.array_equal(out[(120, 80)], grey) and out[(120, 80)] is not grey
    for size in [(8, 8), (8, 9), (8, 80)]:
        assert np.array_equal(out[size], _pillow(grey, size))


def test_untrusted_coefficients_fall_back_to_pillow(monkeypatch):
    # A margin no coefficient can meet: every resize must come from Pillow, still identical.
    monkeypatch.setattr(resample, "_MARGIN", 1.0)
    resample.clear_cache()
    try:
        assert resample._plan(300, 200, 8, 8) is None
        grey = _pictures(300, 200, seed=9)[0]
        assert np.array_equal(resample.resize(grey, 8, 8), _pillow(grey, (8, 8)))
    finally:
        resample.clear_cache()


def test_passes_whose_sums_could_leave_int32_go_to_pillow():
    # The kernels sum in wrapping int32: exact only while every true sum fits, which LANCZOS
    # coefficients always do (positive ones of a sample add up to ~1.29 * 2**22 at most).
    for in_size, out_size in [(4, 5), (1600, 8), (1600, 1024), (37, 512), (613, 97)]:
        assert resample._sums_fit_int32(resample._fixed_coefficients(in_size, out_size)[2])
    big = np.array([[1 << 23, 1 << 23, -(1 << 20)]], np.int32)  # 255 * 2**24 > 2**31
    assert not resample._sums_fit_int32(big)
    assert not resample._sums_fit_int32(np.array([[-(1 << 24), 1 << 22]], np.int32))
    assert resample._sums_fit_int32(np.array([[1 << 22, 1 << 22, -(1 << 22)]], np.int32))


@pytest.mark.skipif(not resample._K.PACKED, reason="no AVX2: the packed kernel is not used")
def test_packed_vertical_pass_equals_the_int32_one():
    # 16-bit products on split coefficients: the same bytes as the int32 kernel, on views with
    # a row stride (crops of the transposed image), ragged widths (the last width % 32 columns)
    # and every tap count, including windows pushed back from the bottom edge.
    rng = np.random.default_rng(23)
    for in_size, out_size, width in [
        (1600, 32, 1000),
        (1600, 8, 97),
        (613, 300, 64),
        (40, 512, 33),
        (8, 3, 31),
    ]:
        resampling = resample.lanczos_pass(in_size, out_size)
        window, hi, lo = resample._K.packed_planes(
            resampling.first, resampling.count, resampling.coef, in_size
        )
        assert hi.shape[1] % 2 == 0 and window.min() >= 0 and (window + hi.shape[1]).max() <= in_size
        parent = (rng.integers(0, 2, (in_size, width + 5)) * 255).astype(np.uint8)
        parent[:, ::3] = rng.integers(0, 256, parent[:, ::3].shape)
        for x in (parent, parent[:, 3 : width + 3], parent[:, ::2]):
            ours = np.empty((out_size, x.shape[1]), np.uint8)
            resample._K.vertical_packed(
                x, resampling.first, resampling.count, resampling.coef, window, hi, lo, ours
            )
            theirs = np.empty_like(ours)
            resample._K.vertical(x, resampling.first, resampling.count, resampling.coef, theirs)
            assert np.array_equal(ours, theirs), (in_size, out_size, width)
    assert resample._K.packed_planes(*resample._fixed_coefficients(3, 1), 3) is None  # 4 taps > 3 rows


@pytest.mark.skipif(not resample._K.PACKED, reason="no AVX2: the packed kernel is not used")
def test_packed_dot_products_equal_the_int32_ones():
    # The narrow horizontal pass, 16 taps per pmaddwd: same bytes as `horizontal`, on strided
    # views, row counts not a multiple of 4, windows pushed back from the right edge.
    rng = np.random.default_rng(29)
    for rows, in_size, out_size in [(101, 1600, 32), (37, 1600, 8), (9, 613, 9), (6, 200, 64), (3, 16, 5)]:
        resampling = resample.lanczos_pass(in_size, out_size)
        planes = resample._K.packed_planes(resampling.first, resampling.count, resampling.coef, in_size, 16)
        assert planes[1].shape[1] % 16 == 0 and (planes[0] + planes[1].shape[1]).max() <= in_size
        parent = (rng.integers(0, 2, (rows, in_size + 7)) * 255).astype(np.uint8)
        parent[:, ::3] = rng.integers(0, 256, parent[:, ::3].shape)
        column_strided = np.repeat(parent[:, :in_size], 2, axis=1)[:, ::2]
        for x in (parent[:, :in_size], parent[:, 7:], column_strided):
            ours = np.empty((rows, out_size), np.uint8)
            resample._K.horizontal_packed(
                x, resampling.first, resampling.count, resampling.coef, *planes, ours
            )
            theirs = np.empty_like(ours)
            resample._K.horizontal(x, resampling.first, resampling.count, resampling.coef, theirs)
            assert np.array_equal(ours, theirs), (rows, in_size, out_size)


def test_without_the_packed_kernels_the_int32_passes_give_the_same_bytes(monkeypatch):
    # A CPU without AVX2 (or numba compiling for another CPU) runs `vertical` / `horizontal`:
    # passes made then carry no planes, and every route (narrow dot products, the vertical
    # kernel on a given transposed copy, wide passes) still gives Pillow's bytes.
    monkeypatch.setattr(resample._K, "PACKED", False)
    resample.clear_cache()
    try:
        grey = _pictures(700, 300, seed=31)[0]
        assert resample.lanczos_pass(700, 32).packed is None
        sizes = [(32, 32), (9, 8), (300, 300), (8, 200)]
        for transposed in (None, resample.transpose(grey)):
            ours = resample.resize_many(grey, sizes, always_products=True, transposed=transposed)
            for size in sizes:
                assert np.array_equal(ours[size], _pillow(grey, size)), size
    finally:
        resample.clear_cache()


def test_grey_pixels_without_products_is_pillow(monkeypatch):
    grey = Image.fromarray(_pictures(500, 400, seed=11)[1])
    with_products = hashes.grey_pixels(grey, 32, 32)
    monkeypatch.setattr(resample, "ENABLED", False)
    assert np.array_equal(hashes.grey_pixels(grey, 32, 32), with_products)


def test_non_positive_sizes_raise_pillows_error():
    grey = Image.fromarray(_pictures(50, 40, seed=1)[0])
    with pytest.raises(ValueError):
        grey.resize((0, 8), Image.Resampling.LANCZOS)
    with pytest.raises(ValueError):
        hashes.grey_pixels(grey, 0, 8)
    with pytest.raises(ValueError):  # resize_many itself hands bad sizes to Pillow
        resample.resize_many(np.asarray(grey), [(8, 8), (0, 8)])


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(1, 400),
    height=st.integers(1, 400),
    out_w=st.integers(1, 450),
    out_h=st.integers(1, 450),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_shapes_property(width, height, out_w, out_h, seed):
    grey = np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)
    ours = resample.resize_many(grey, [(out_w, out_h)], always_products=True)[(out_w, out_h)]
    assert np.array_equal(ours, _pillow(grey, (out_w, out_h)))


def test_images_over_the_pixel_budget_go_to_pillow(monkeypatch):
    # The products need a float64 copy of the image; above the budget Pillow resizes alone.
    grey = _pictures(1500, 1000, seed=4)[1]
    resample.clear_cache()
    resample.resize_many(grey, [(8, 8)])
    assert (1500, 8) in resample._passes  # within the budget: products
    monkeypatch.setattr(resample, "_MAX_PIXELS", 1500 * 1000 - 1)
    resample.clear_cache()
    out = resample.resize_many(grey, [(8, 8), (32, 32)])
    assert not resample._passes  # over it: no coefficients were even computed
    for size in [(8, 8), (32, 32)]:
        assert np.array_equal(out[size], _pillow(grey, size))


def test_compute_hashes_over_the_budget_uses_pillow_and_agrees(monkeypatch):
    import sparkhash.core as core

    rgb = np.stack(_pictures(640, 480, seed=6)[:3], axis=-1)
    image = Image.fromarray(rgb, "RGB")
    with_products = {a: str(h) for a, h in core.compute_hashes(image).hashes.items()}
    monkeypatch.setattr(resample, "_MAX_PIXELS", 640 * 480 - 1)
    resample.clear_cache()
    result = core.compute_hashes(image)
    assert not resample._passes
    assert {a: str(h) for a, h in result.hashes.items()} == with_products
