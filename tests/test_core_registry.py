"""The algorithm registry: one record per algorithm, and everything that reads it agrees."""

from __future__ import annotations

import dataclasses

import imagehash
import pytest
from images import smooth_rgb

from sparkhash.core import compute_hashes, registry, robust
from sparkhash.core.params import SEGMENT_HASHES, HashParams

FIELDS = {f.name for f in dataclasses.fields(HashParams)}


def test_every_record_names_real_params_fields_and_every_field_is_used():
    used = set()
    for record in registry.REGISTRY.values():
        assert set(record.fields) <= FIELDS, record.name
        assert record.inner is None or record.inner in FIELDS
        used |= set(record.fields)
    assert used == FIELDS  # a field no algorithm reads would be recorded in params for nothing


@pytest.mark.parametrize("params", [HashParams(), HashParams(hash_size=16, colorhash_binbits=5)])
def test_bit_counts_and_hex_widths_are_those_of_the_hashes(params):
    image = smooth_rgb(120, 90, seed=4)
    result = compute_hashes(image, registry.ALGORITHMS, params)
    for name, record in registry.REGISTRY.items():
        if record.multi:
            signatures = result.signatures[name]
            assert signatures and all(len(s.hash) == record.nbits(params) for s in signatures)
            assert all(len(str(s.hash)) == record.hex_width(params) for s in signatures)
        elif not record.bits:  # robust: a signature whose candidate rows are global hashes of nbits
            rows = robust.text_parts(result.hashes[name])[0]
            assert len(rows) in (0, len(robust.CANDIDATE_ORIENTATIONS) * record.hex_width(params)), name
        else:  # the hash column's hex (pdq: the value is (hash, quality), its second column)
            value = result.hashes[name]
            bits = value[0] if isinstance(value, tuple) else value
            assert len(bits) == record.nbits(params), name
            assert len(record.cells(value)[0]) == record.hex_width(params), name


def test_public_functions_are_imagehash_functions_of_the_same_bits():
    image = smooth_rgb(100, 80, seed=2).convert("RGB")
    for record in registry.REGISTRY.values():
        if record.function is None:
            continue
        theirs = getattr(imagehash, record.imagehash)
        assert str(record.function(image)) == str(theirs(image)), record.name
        assert str(compute_hashes(image, [record.name]).hashes[record.name]) == str(theirs(image))


def test_segment_hashes_and_parsing_come_from_the_registry():
    assert SEGMENT_HASHES == tuple(r.name for r in registry.REGISTRY.values() if r.segment_hash)
    assert registry.parse_algorithms("dhash, ahash,dhash") == ("ahash", "dhash")
    assert registry.parse_algorithms(["dhash", "ahash"], canonical=False) == ("dhash", "ahash")
    with pytest.raises(ValueError, match="unknown algorithm"):
        registry.parse_algorithms("md5")
    with pytest.raises(ValueError, match="no algorithm"):
        registry.parse_algorithms("")
    with pytest.raises(ValueError, match="unknown algorithm"):
        HashParams().for_algorithm("md5")


def test_crop_resistant_params_include_its_segment_hash_params():
    p = HashParams(segment_hash="phash")
    assert p.for_algorithm("crop_resistant")["highfreq_factor"] == 4
    assert registry.get("crop_resistant").nbits(p) == p.hash_size**2
