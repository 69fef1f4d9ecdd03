"""Checks before any work: parameter ranges, thresholds, and OUTPUT locations (no Spark)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from sparkhash.cli.fields import flagged
from sparkhash.core.params import ALGORITHMS, HashParams
from sparkhash.core.validate import check_hash_params, check_recall, check_threshold
from sparkhash.dedup.job import DupsConfig, check_config
from sparkhash.errors import UsageError
from sparkhash.spark.preflight import check_output


@pytest.mark.parametrize(
    "params, algorithms, message",
    [
        (HashParams(hash_size=0), ("phash",), "hash_size must be between 2 and 32, not 0"),
        (HashParams(hash_size=1), ("dhash_vertical",), "not 1"),
        (HashParams(hash_size=-3), ALGORITHMS, "not -3"),
        (HashParams(hash_size=64), ("ahash",), "1024-bit hashes, the most dups can join"),
        (HashParams(hash_size=12), ("whash",), "power of two, not 12"),
        (
            HashParams(whash_image_scale=4),
            ("whash",),
            "whash_image_scale must be a power of two >= hash_size",
        ),
        (HashParams(highfreq_factor=0), ("phash",), "highfreq_factor must be 1 or more, not 0"),
        (HashParams(colorhash_binbits=50), ("colorhash",), "colorhash_binbits must be between 1 and 40"),
        (HashParams(segment_threshold=300), ("crop_resistant",), "segment_threshold"),
        (HashParams(segment_hash="whash", hash_size=12), ("crop_resistant",), "power of two"),
    ],
)
def test_bad_hash_parameters_are_refused_in_one_line(params, algorithms, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        check_hash_params(params, algorithms)
    assert "\n" not in str(refused.value)
    # the library names HashParams fields, never command-line flags; `fields` lists them
    assert "--" not in str(refused.value)
    assert refused.value.fields and all(f in str(refused.value) for f in refused.value.fields)
    assert {f.name for f in dataclasses.fields(HashParams)} >= set(refused.value.fields)


def test_dups_config_errors_name_its_fields_and_the_command_line_names_flags(tmp_path):
    config = DupsConfig(hashes=str(tmp_path / "h"), output=str(tmp_path / "o"))
    for change, field, message in [
        ({"threshold": -1}, "threshold", "threshold must be 0 or more, not -1"),
        ({"recall": 1.5}, "recall", "recall must be between 0 and 1"),
        ({"hot_bucket": 0}, "hot_bucket", "hot_bucket must be 1 or more, not 0"),
        ({"previous": "x"}, "previous", "previous needs previous_hashes or previous_run"),
    ]:
        with pytest.raises(UsageError) as refused:
            check_config(replace(config, **change))
        assert str(refused.value).startswith(message) and "--" not in str(refused.value)
        assert refused.value.field == field
        assert field in DupsConfig.__dataclass_fields__
    # the command line's words for the same error (one mapping, sparkhash.cli.fields)
    assert flagged(refused.value, "dups") == "--previous needs --previous-hashes or --previous-run"
    # `sparkhash hash --stream --dups` fills DupsConfig.threshold from --dups-threshold
    assert flagged(UsageError("threshold must be 0 or more", "threshold"), "hash").startswith(
        "--dups-threshold"
    )


def test_parameters_that_do_not_matter_for_the_algorithms_are_not_checked():
    check_hash_params(HashParams(hash_size=12, colorhash_binbits=99), ("phash", "dhash"))
    check_hash_params(HashParams(hash_size=64), ("colorhash",))
    check_hash_params(HashParams(), ALGORITHMS)


def test_threshold_and_recall_ranges():
    check_threshold(63, 64)
    for bad in (-1, 64, 100):
        with pytest.raises(ValueError, match="between 0 and 63 for 64-bit hashes"):
            check_threshold(bad, 64)
    check_recall(0.95)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="between 0 and 1"):
            check_recall(bad)


def test_output_locations(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.jpg").write_bytes(b"x")
    check_output(str(tmp_path / "new" / "out"), "hash", str(images))
    with pytest.raises(ValueError, match="is inside INPUT"):
        check_output(str(images / "out"), "hash", str(images))
    with pytest.raises(ValueError, match="is inside INPUT"):
        check_output(str(images), "hash", f"{images}/*.jpg")
    with pytest.raises(ValueError, match="is a file"):
        check_output(str(images / "a.jpg"), "dups")
    with pytest.raises(ValueError, match="did not write .*a.jpg"):
        check_output(str(images), "hash")
    hashed = tmp_path / "hashed"
    for name in ("hashes", "runs", "_lease"):
        (hashed / name).mkdir(parents=True)
    check_output(str(hashed), "hash")
    with pytest.raises(ValueError, match="sparkhash dups did not write"):
        check_output(str(hashed), "dups")
    with pytest.raises(ValueError, match="cannot be created: .* is a file"):
        check_output(str(images / "a.jpg" / "out"), "dups")


def test_unwritable_output():
    with pytest.raises(ValueError, match="is not writable"):
        check_output("/proc/self/sparkhash-out", "hash")  # a read-only file system, even for root
