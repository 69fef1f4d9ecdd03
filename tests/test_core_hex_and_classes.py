"""Hex conversions and the ImageHash / ImageMultiHash classes against imagehash 4.3.2."""

from __future__ import annotations

import imagehash
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from images import smooth_rgb

import sparkhash.core as core


def _outcome(fn, *args):
    try:
        result = fn(*args)
        return (str(result), getattr(result, "hash", np.zeros(0)).shape)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


@pytest.mark.parametrize(
    "bits,expected",
    [
        ("1", "1"),
        ("10000", "10"),
        ("00001", "01"),
        ("0000111", "07"),
        ("000000000000000011", "00003"),
        ("11110000000100100011010001010110011110001001101010111100110111101111", "f0123456789abcdef"),
    ],
)
def test_binary_array_to_hex_examples(bits, expected):
    array = np.array([b == "1" for b in bits])
    assert core._binary_array_to_hex(array) == expected == imagehash._binary_array_to_hex(array)


def test_binary_array_to_hex_int_and_bad_values():
    assert core._binary_array_to_hex(np.array([1, 0, 1])) == imagehash._binary_array_to_hex(
        np.array([1, 0, 1])
    )
    for bad in (np.array([2, 0]), np.array([], dtype=bool), np.array([1.0, 0.0])):
        assert _outcome(core._binary_array_to_hex, bad) == _outcome(imagehash._binary_array_to_hex, bad)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=2, max_value=20), st.data())
def test_hex_round_trip_square(hash_size, data):
    bits = np.array(data.draw(st.lists(st.booleans(), min_size=hash_size**2, max_size=hash_size**2)))
    ours = core.ImageHash(bits.reshape(hash_size, hash_size))
    text = str(ours)
    assert text == str(imagehash.ImageHash(bits.reshape(hash_size, hash_size)))
    back = core.hex_to_hash(text)
    assert back == ours and back.hash.shape == (hash_size, hash_size)
    assert str(back) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.data())
def test_hex_round_trip_flat_colorhash(binbits, data):
    bits = np.array(data.draw(st.lists(st.booleans(), min_size=14 * binbits, max_size=14 * binbits)))
    text = str(core.ImageHash(bits.reshape(14, binbits)))
    for hashsize in (14 * binbits, binbits):
        ours, theirs = core.hex_to_flathash(text, hashsize), imagehash.hex_to_flathash(text, hashsize)
        assert ours.hash.shape == theirs.hash.shape and str(ours) == str(theirs)
    assert core.hex_to_flathash(text, 14 * binbits) == core.ImageHash(bits)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEFx -_", min_size=0, max_size=20))
def test_hex_to_hash_any_string_same_outcome(text):
    assert _outcome(core.hex_to_hash, text) == _outcome(imagehash.hex_to_hash, text)
    for hashsize in (1, 3, 14, 42):
        assert _outcome(core.hex_to_flathash, text, hashsize) == _outcome(
            imagehash.hex_to_flathash, text, hashsize
        )


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([4, 6, 8, 16]), st.text(alphabet="0123456789abcdef", min_size=0, max_size=70))
def test_old_hex_to_hash(hash_size, text):
    ours, theirs = (
        _outcome(core.old_hex_to_hash, text, hash_size),
        _outcome(imagehash.old_hex_to_hash, text, hash_size),
    )
    assert ours == theirs


def test_old_hex_to_hash_known_row():
    assert core.old_hex_to_hash("ffeb89818193ffff").hash[1].tolist() == [1, 1, 0, 1, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="Expected hex string size of 16."):
        core.old_hex_to_hash("ff")


def test_image_hash_semantics():
    a = core.hex_to_hash("ffd7918181c9ffff")
    b = core.hex_to_hash("9f172786e71f1e00")
    assert a - b == 33 and isinstance(a - b, np.integer)
    flat = core.ImageHash(a.hash.reshape(1, 64))
    assert a == flat and not (a != flat) and a - flat == 0
    assert (a == None) is False and (a != None) is False  # noqa: E711 - imagehash quirk
    with pytest.raises(TypeError, match="must not be None"):
        a - None
    with pytest.raises(TypeError) as info:
        a - core.hex_to_hash("0" * 64)
    assert info.value.args == ("ImageHashes must be of the same shape.", (8, 8), (16, 16))
    assert len(a) == 64 and repr(a) == repr(imagehash.hex_to_hash("ffd7918181c9ffff"))
    for text in ("ffd7918181c9ffff", "0000ffff0000eeee", "f" * 64, "0" * 16):
        assert hash(core.hex_to_hash(text)) == hash(imagehash.hex_to_hash(text))
    assert hash(core.hex_to_hash("f" * 16)) == 2040


def test_multihash_semantics_match_imagehash():
    image = smooth_rgb(400, 300, seed=11)
    variants = [
        image,
        image.rotate(-1),
        image.rotate(-90),
        image.crop((40, 30, 400, 300)),
        smooth_rgb(400, 300, 5),
    ]
    ours = [core.crop_resistant_hash(v) for v in variants]
    theirs = [imagehash.crop_resistant_hash(v) for v in variants]
    for i in range(len(variants)):
        for j in range(len(variants)):
            assert (ours[i] - ours[j]) == (theirs[i] - theirs[j])
            assert ours[i].hash_diff(ours[j]) == theirs[i].hash_diff(theirs[j])
            for cutoff in (0, 8, 64):
                assert ours[i].hash_diff(ours[j], cutoff) == theirs[i].hash_diff(theirs[j], cutoff)
                assert ours[i].__sub__(ours[j], cutoff) == theirs[i].__sub__(theirs[j], cutoff)
            assert ours[i].hash_diff(ours[j], None, 0.5) == theirs[i].hash_diff(theirs[j], None, 0.5)
            assert (ours[i] == ours[j]) == (theirs[i] == theirs[j])
            assert (ours[i] != ours[j]) == (theirs[i] != theirs[j])
            for region in (1, 2, 7):
                assert ours[i].matches(ours[j], region) == theirs[i].matches(theirs[j], region)
        best = ours[i].best_match(ours[:i] + ours[i + 1 :])
        expected = theirs[i].best_match(theirs[:i] + theirs[i + 1 :])
        assert str(best) == str(expected)
        assert hash(ours[i]) == hash(theirs[i]) and str(ours[i]) == str(theirs[i])
        parsed = core.hex_to_multihash(str(ours[i]))
        assert str(parsed) == str(ours[i]) and parsed - ours[i] == 0.0
    empty = core.ImageMultiHash([])
    assert str(empty) == "" and (empty == None) is False  # noqa: E711
    with pytest.raises(IndexError):
        empty.hash_diff(ours[0])
    with pytest.raises(ValueError):
        ours[0].hash_diff(empty)
    with pytest.raises(ValueError):
        ours[0].best_match([])


def test_module_surface_matches_imagehash():
    for name in [
        "ANTIALIAS",
        "ImageHash",
        "ImageMultiHash",
        "average_hash",
        "phash",
        "phash_simple",
        "dhash",
        "dhash_vertical",
        "whash",
        "colorhash",
        "crop_resistant_hash",
        "hex_to_hash",
        "hex_to_flathash",
        "hex_to_multihash",
        "old_hex_to_hash",
        "_binary_array_to_hex",
        "_find_region",
        "_find_all_segments",
        "numpy",
        "Image",
        "ImageFilter",
        "sys",
        "WhashMode",
        "NDArray",
        "MeanFunc",
        "HashFunc",
    ]:
        assert hasattr(core, name), name
    assert core.ANTIALIAS == imagehash.ANTIALIAS == 1
    import inspect

    for name in [
        "average_hash",
        "phash",
        "phash_simple",
        "dhash",
        "dhash_vertical",
        "whash",
        "colorhash",
        "crop_resistant_hash",
        "hex_to_flathash",
        "old_hex_to_hash",
    ]:
        ours = inspect.signature(getattr(core, name)).parameters
        theirs = inspect.signature(getattr(imagehash, name)).parameters
        assert list(ours) == list(theirs), name
        for key in theirs:
            if key != "hash_func":
                assert ours[key].default == theirs[key].default, (name, key)


def test_core_never_imports_spark_or_imagehash():
    import subprocess
    import sys

    code = (
        "import sys, sparkhash.core as c; c.compute_hashes(c.Image.new('RGB', (40, 30)));"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pyspark', 'imagehash', 'pandas')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
