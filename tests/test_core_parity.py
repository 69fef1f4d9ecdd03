"""sparkhash.core against the real imagehash 4.3.2, function by function, bit for bit."""

from __future__ import annotations

import functools
import warnings

import imagehash
import numpy as np
import pytest
from images import blocks_rgb, in_mode, noise_rgb, smooth_rgb
from PIL import Image

import sparkhash.core as core

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"]
SIZES = [(1, 1), (2, 3), (1, 40), (40, 1), (3, 200), (37, 23), (64, 64), (160, 120), (300, 200)]
KINDS = {"smooth": smooth_rgb, "noise": noise_rgb, "blocks": blocks_rgb}


def _outcome(fn, *args, **kwargs):
    """str of the hash, or the exception type: what must agree between the two libraries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return str(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the type is what we compare
            return type(exc)


def _same(name, image, **kwargs):
    ours = _outcome(getattr(core, name), image, **kwargs)
    theirs = _outcome(getattr(imagehash, name), image, **kwargs)
    assert ours == theirs, (name, image.mode, image.size, kwargs)
    return ours


def _images():
    seed = 0
    for kind, make in KINDS.items():
        for size in SIZES:
            seed += 1
            base = make(*size, seed=seed)
            for mode in MODES:
                yield pytest.param(kind, size, mode, base, id=f"{kind}-{size[0]}x{size[1]}-{mode}")


IMAGES = list(_images())


@pytest.mark.parametrize("kind,size,mode,base", IMAGES)
def test_single_hashes_default_parameters(kind, size, mode, base):
    image = in_mode(base, mode)
    for name in ("average_hash", "phash", "phash_simple", "dhash", "dhash_vertical", "whash", "colorhash"):
        _same(name, image)


@pytest.mark.parametrize("hash_size", range(2, 17))
def test_hash_sizes(hash_size):
    for image in (smooth_rgb(97, 61, seed=hash_size), blocks_rgb(50, 80, seed=hash_size)):
        for name in ("average_hash", "phash", "phash_simple", "dhash", "dhash_vertical"):
            _same(name, image, hash_size=hash_size)
        if hash_size & (hash_size - 1) == 0:
            _same("whash", image, hash_size=hash_size)
            _same("whash", image, hash_size=hash_size, mode="db4")


def test_hash_size_errors_and_small_sizes():
    image = smooth_rgb(30, 20)
    for name in ("average_hash", "phash", "dhash"):
        for hash_size in (1, 0, -3):
            assert _same(name, image, hash_size=hash_size) is ValueError
    for name in ("phash_simple", "dhash_vertical"):
        _same(name, image, hash_size=1)
        assert _same(name, image, hash_size=0) is ValueError
    assert _same("phash", image, highfreq_factor=0) is ValueError
    for factor in (1, 2, 3, 5):
        _same("phash", image, highfreq_factor=factor)
        _same("phash_simple", image, highfreq_factor=factor)


def test_average_hash_with_median():
    for seed in range(5):
        _same("average_hash", smooth_rgb(80, 50, seed=seed), mean=np.median)


@pytest.mark.parametrize("mode", ["haar", "db4", "sym2", "coif1"])
def test_whash_options(mode):
    for image in (smooth_rgb(130, 70, seed=3), smooth_rgb(7, 5, seed=4), smooth_rgb(600, 400, seed=5)):
        for image_scale in (None, 16, 32, 64, 128):
            for remove in (True, False):
                _same("whash", image, mode=mode, image_scale=image_scale, remove_max_haar_ll=remove)


def test_whash_errors():
    image = smooth_rgb(64, 64)
    assert _same("whash", image, image_scale=48) is AssertionError
    assert _same("whash", image, hash_size=6) is AssertionError
    assert _same("whash", image, hash_size=16, image_scale=8) is AssertionError
    assert _same("whash", image, hash_size=0) is OverflowError
    assert _same("whash", image, image_scale=0) is OverflowError
    assert _same("whash", image, mode="nope") is ValueError
    _same("whash", image, hash_size=1)
    with pytest.raises(AssertionError, match="image_scale is not power of 2"):
        core.whash(image, image_scale=3)
    with pytest.raises(AssertionError, match="hash_size is not power of 2"):
        core.whash(image, hash_size=3)
    with pytest.raises(AssertionError, match="hash_size in a wrong range"):
        core.whash(image, hash_size=128, image_scale=64)


@pytest.mark.parametrize("binbits", range(1, 9))
def test_colorhash_binbits(binbits):
    images = (smooth_rgb(90, 70, seed=9), noise_rgb(40, 30, seed=2), blocks_rgb(60, 60, 4))
    for seed, image in enumerate(images):
        _same("colorhash", image, binbits=binbits)
        _same("colorhash", in_mode(image, "RGBA", seed), binbits=binbits)
        _same("colorhash", image.convert("P"), binbits=binbits)


def test_colorhash_every_hue_and_saturation_boundary():
    # Every (S, V, H) corner: S == 170 sits in neither bin, L < 32 is black, hue bin edges.
    hsv = np.array(np.meshgrid(np.arange(256), [84, 85, 86, 169, 170, 171, 255], [20, 31, 32, 33, 200]))
    hsv = hsv.reshape(3, -1).T.astype(np.uint8)
    image = Image.fromarray(hsv.reshape(1, -1, 3), "HSV").convert("RGB")
    for binbits in (1, 3, 5, 8, 16, 30):
        _same("colorhash", image, binbits=binbits)
    for colour in [(255, 255, 255), (0, 0, 0), (0, 0, 254), (255, 0, 0), (10, 200, 30)]:
        _same("colorhash", Image.new("RGB", (5, 7), colour))
    assert _same("colorhash", image, binbits=0) is ValueError
    assert _same("colorhash", image, binbits=-1) is ValueError


def test_known_values_from_the_reference():
    white = Image.new("RGB", (20, 20), "white")
    assert str(core.colorhash(white)) == "07000000000"
    assert str(core.colorhash(Image.new("RGB", (20, 20), "red"))) == "00000038000"
    assert str(core.phash(white)) == "8000000000000000"
    assert str(core.average_hash(white)) == "0000000000000000"


def test_unsupported_modes_raise_like_imagehash():
    lab = Image.new("LAB", (20, 20))
    for name in ("average_hash", "phash", "dhash", "colorhash"):
        assert _same(name, lab) is ValueError


# ------------------------------------------------------------------------------ crop-resistant


def _option_name(v) -> str:
    if isinstance(v, functools.partial):
        return f"{v.func.__name__}({','.join(f'{k}={x}' for k, x in v.keywords.items())})"
    return str(getattr(v, "__name__", v))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"limit_segments": 3},
        {"limit_segments": 1},
        {"segment_threshold": 90},
        {"min_segment_size": 50},
        {"segmentation_image_size": 150},
        {"segmentation_image_size": 200, "min_segment_size": 100},
        {"hash_func": imagehash.average_hash},
        {"hash_func": imagehash.phash},
        {"hash_func": functools.partial(imagehash.dhash, hash_size=16)},
    ],
    # a partial's repr holds an address: name it by its function and keywords (pytest-xdist
    # workers must collect the same test ids)
    ids=lambda o: ",".join(f"{k}={_option_name(v)}" for k, v in o.items()) or "defaults",
)
def test_crop_resistant_hash(options):
    for seed, (w, h) in enumerate([(300, 300), (150, 150), (480, 320), (100, 640)]):
        for mode in ("RGB", "L", "RGBA", "P"):
            image = in_mode(smooth_rgb(w, h, seed=seed), mode)
            ours = _outcome(core.crop_resistant_hash, image, **options)
            theirs = _outcome(imagehash.crop_resistant_hash, image, **options)
            assert ours == theirs, (options, mode, (w, h))
            own = getattr(core, getattr(options.get("hash_func"), "__name__", ""), None)
            if own is not None:  # our function of the same name: the compute_hashes path
                assert _outcome(core.crop_resistant_hash, image, **dict(options, hash_func=own)) == theirs


# ------------------------------------------------------------------------------ one decode


PARAMS = [
    core.HashParams(),
    core.HashParams(hash_size=16, highfreq_factor=2, colorhash_binbits=5, whash_mode="db4"),
    core.HashParams(hash_size=4, segment_hash="ahash", limit_segments=2, min_segment_size=100),
    core.HashParams(whash_image_scale=64, whash_remove_max_haar_ll=False, segmentation_image_size=200),
    core.HashParams(segment_hash="whash", segment_threshold=100),
]
FUNCTIONS = {
    "ahash": lambda im, p: imagehash.average_hash(im, p.hash_size),
    "phash": lambda im, p: imagehash.phash(im, p.hash_size, p.highfreq_factor),
    "phash_simple": lambda im, p: imagehash.phash_simple(im, p.hash_size, p.highfreq_factor),
    "dhash": lambda im, p: imagehash.dhash(im, p.hash_size),
    "dhash_vertical": lambda im, p: imagehash.dhash_vertical(im, p.hash_size),
    "whash": lambda im, p: imagehash.whash(
        im, p.hash_size, p.whash_image_scale, p.whash_mode, p.whash_remove_max_haar_ll
    ),
    "colorhash": lambda im, p: imagehash.colorhash(im, p.colorhash_binbits),
}


def _imagehash_crop_resistant(image, p):
    inner = FUNCTIONS[p.segment_hash]
    return imagehash.crop_resistant_hash(
        image,
        hash_func=lambda crop: inner(crop, p),
        limit_segments=p.limit_segments,
        segment_threshold=p.segment_threshold,
        min_segment_size=p.min_segment_size,
        segmentation_image_size=p.segmentation_image_size,
    )


@pytest.mark.parametrize("params", PARAMS, ids=range(len(PARAMS)))
def test_compute_hashes_equals_imagehash(params):
    from images import encode

    for seed, (mode, size) in enumerate(
        [("RGB", (640, 480)), ("RGBA", (123, 321)), ("L", (64, 64)), ("P", (200, 150)), ("CMYK", (90, 200))]
    ):
        image = in_mode(smooth_rgb(*size, seed=seed), mode)
        data = encode(image, "TIFF" if mode == "CMYK" else "PNG")
        result = core.compute_hashes(data, params=params)
        decoded = Image.open(__import__("io").BytesIO(data))
        assert (result.width, result.height, result.mode) == (*size, mode)
        for name, fn in FUNCTIONS.items():
            assert str(result.hashes[name]) == str(fn(decoded, params)), (name, mode, params)
        expected = _imagehash_crop_resistant(decoded, params)
        assert str(result.multihash()) == str(expected)
        assert [s.index for s in result.segments] == list(range(len(result.segments)))
        for segment in result.segments:
            left, top, right, bottom = segment.box
            assert 0 <= left <= right <= size[0] and 0 <= top <= bottom <= size[1]
            assert segment.pixels >= 1


def test_compute_hashes_subset_and_unknown_algorithm():
    image = smooth_rgb(50, 40)
    result = core.compute_hashes(image, ["dhash", "ahash"])
    assert set(result.hashes) == {"dhash", "ahash"} and result.segments is None
    assert str(result.hashes["dhash"]) == str(imagehash.dhash(image))
    with pytest.raises(ValueError, match="unknown algorithm"):
        core.compute_hashes(image, ["md5"])


@pytest.mark.parametrize("side", [1, 2, 4, 8, 32, 256, 1024])
def test_numpy_haar_equals_pywt_bit_for_bit(side):
    import pywt

    from sparkhash.core import haar

    rng = np.random.default_rng(side)
    for values in (rng.integers(0, 256, (side, side)).astype(np.uint8) / 255.0, np.full((side, side), 0.5)):
        levels = side.bit_length() - 1
        coeffs = list(pywt.wavedec2(values, "haar", level=levels))
        coeffs[0] *= 0
        expected = pywt.waverec2(coeffs, "haar")
        ours = haar._remove_max_haar_ll(values, levels)
        assert ours.tobytes() == expected.tobytes()
        for level in range(levels + 1):
            expected_ll = pywt.wavedec2(ours, "haar", level=level)[0]
            assert haar._haar_ll(ours, level).tobytes() == expected_ll.tobytes()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "RGBX"])
def test_colorhash_colour_table_equals_hsv_path(mode):
    from sparkhash.core import colour

    rng = np.random.default_rng(7)
    for image in (noise_rgb(61, 37, seed=1), smooth_rgb(80, 50, seed=2), blocks_rgb(33, 17, seed=3)):
        image = in_mode(image, "RGBA", 1) if mode == "RGBA" else image.convert(mode)
        expected = colour.colorhash_counts(image.convert("L"), image.convert("HSV"))
        assert colour.colorhash_counts_rgb(image).tolist() == expected.tolist()
    # every colour of the table agrees with Pillow's own conversions on a random sample
    sample = rng.integers(0, 256, size=(1, 4096, 3), dtype=np.uint8)
    image = Image.fromarray(sample, "RGB")
    expected = colour.colorhash_counts(image.convert("L"), image.convert("HSV"))
    assert colour.colorhash_counts_rgb(image).tolist() == expected.tolist()


def test_colorhash_large_rgb_uses_table_and_matches_imagehash():
    image = smooth_rgb(1280, 840, seed=12)  # >= 1 MP: the colour-table path
    from sparkhash.core import colour

    assert image.size[0] * image.size[1] >= colour.RGB_TABLE_MIN_PIXELS
    for binbits in (3, 6):
        assert str(core.colorhash(image, binbits)) == str(imagehash.colorhash(image, binbits))
    result = core.compute_hashes(image, ["colorhash"])
    assert str(result.hashes["colorhash"]) == str(imagehash.colorhash(image))


def test_rgb_words_zero_copy_and_copy_paths_agree():
    from sparkhash.core import colour

    for mode in ("RGB", "RGBA", "RGBX"):
        image = noise_rgb(37, 23, seed=5).convert(mode)
        rgb = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(np.uint32)
        for zero_copy in (True, False):
            words = colour._rgb_words(image, zero_copy)
            assert ((words & 0xFFFFFF) == (rgb[:, 0] | rgb[:, 1] << 8 | rgb[:, 2] << 16)).all()


def test_grey_kernel_equals_pillow_convert_for_every_colour():
    """The compiled RGB -> 'L' conversion gives Pillow's byte for all 2**24 colours, in each
    mode it handles (alpha and the pad byte ignored), from both ways of reading the pixels."""
    from sparkhash.core import colour

    assert colour.grey_kernel_agrees()
    codes = np.arange(1 << 24, dtype="<u4").view(np.uint8).reshape(4096, 4096, 4)
    every = Image.fromarray(np.ascontiguousarray(codes[..., :3]), "RGB")
    grey = colour.grey_of(every)
    assert grey.mode == "L" and grey.size == every.size
    assert np.array_equal(np.asarray(grey), np.asarray(every.convert("L")))
    for mode in ("RGBA", "RGBX"):
        image = noise_rgb(37, 23, seed=6).convert(mode)
        assert np.array_equal(np.asarray(colour.grey_of(image)), np.asarray(image.convert("L")))
    image = noise_rgb(37, 23, seed=7)
    words = colour._rgb_words(image, zero_copy=False)  # the strided copy path
    out = np.empty(words.shape[0], np.uint8)
    colour.colour_kernels.rgb_to_l(words, out)
    assert np.array_equal(out.reshape(23, 37), np.asarray(image.convert("L")))
    # every other mode is Pillow's own conversion
    for mode in ("P", "CMYK", "LA", "I;16"):
        image = noise_rgb(37, 23, seed=8).convert(mode)
        assert np.array_equal(np.asarray(colour.grey_of(image)), np.asarray(image.convert("L")))


@pytest.mark.parametrize("size", [(1, 1), (37, 23), (16, 16), (33, 48), (48, 17), (70, 35)])
def test_grey_and_transposed_in_one_pass_equal_pillow(size):
    """The conversion that also writes the transposed pixels (16 x 32 blocks, ragged edges):
    Pillow's 'L' bytes and their transpose; Pillow's conversion and no transpose otherwise."""
    from sparkhash.core import colour

    for mode in ("RGB", "RGBA", "RGBX"):
        image = noise_rgb(*size, seed=size[0]).convert(mode)
        grey, transposed = colour.grey_and_transposed(image)
        expected = np.asarray(image.convert("L"))
        assert np.array_equal(np.asarray(grey), expected)
        assert np.array_equal(transposed, expected.T)
    image = noise_rgb(*size, seed=1).convert("P")
    grey, transposed = colour.grey_and_transposed(image)
    assert transposed is None and np.array_equal(np.asarray(grey), np.asarray(image.convert("L")))
