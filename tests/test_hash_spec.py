"""Hash specs (`sparkhash.core.spec`): one notion of "comparable hashes" for the hash job, dups
and match. Keys are stable across versions (old params text, new fields at their default),
EXIF orientation and format versions are part of them; an OUTPUT written by main 777d1ea
(tests/fixtures/main_output) is read, extended by a run that adds an algorithm and a file, and
deduplicated."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from spark_helpers import expected_hashes, machine_lock, refused, write_image_set

from sparkhash.cli import main, parser_for
from sparkhash.cli.hash import config_from_args
from sparkhash.core import registry, spec
from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import HashParams
from sparkhash.core.spec import params_json, spec_from_json, spec_of

FIXTURE = Path(__file__).parent / "fixtures" / "main_output"
#: The params text main 777d1ea wrote for default parameters (the fixture's run record holds it).
MAIN_PARAMS = json.loads(next((FIXTURE / "hashes_output" / "runs").glob("*/*.json")).read_text())["params"]


@pytest.fixture
def main_images_dir():
    """The folder main's rows record (`IMAGES_DIR`, a fixed path), held for this test alone:
    another test run on this machine (a second pytest, an xdist worker) waits for it."""
    from fixtures.make_main_output import IMAGES_DIR

    with machine_lock(Path(IMAGES_DIR).parent / ".lock"):
        yield IMAGES_DIR


# ------------------------------------------------------------------------------ keys (no Spark)


def test_main_params_text_gives_todays_default_specs():
    # rows written now read as before, byte for byte, but for robust's format (2 then, 4 now)
    assert params_json(HashParams()) == MAIN_PARAMS.replace('"robust_version":2', '"robust_version":4')
    for algorithm in registry.ALGORITHMS:
        old, new = spec_from_json(algorithm, MAIN_PARAMS), spec_of(algorithm, HashParams())
        if registry.REGISTRY[algorithm].format_version == 1:
            assert old == new and old.key == new.key, algorithm
        else:  # robust format 2 signatures are never compared with format 4 ones
            assert old.difference(new) == ("format version", "2", "4"), algorithm
    assert spec_of("phash", HashParams()).key == "phash/1"
    assert spec_of("robust", HashParams()).key == "robust/4"
    assert (
        spec_of("crop_resistant", HashParams(segment_hash="ahash")).key
        == 'crop_resistant/1:segment_hash="ahash"'
    )
    assert spec_from_json("phash", None) == spec_of("phash", HashParams())  # no params column: defaults


def test_only_bit_affecting_settings_of_the_algorithm_count():
    assert spec_of("phash", HashParams(colorhash_binbits=5)) == spec_of("phash", HashParams())
    assert spec_of("phash", HashParams(hash_size=16)).key == "phash/1:hash_size=16"
    assert spec_of("phash", HashParams(), DecodeOptions(max_pixels=5)) == spec_of("phash", HashParams())
    # crop_resistant counts its segment hash's parameters (and only those)
    assert spec_of("crop_resistant", HashParams(hash_size=16)).key == "crop_resistant/1:hash_size=16"
    assert spec_of("crop_resistant", HashParams(highfreq_factor=8)) == spec_of("crop_resistant", HashParams())
    assert spec_of("crop_resistant", HashParams(segment_hash="phash", highfreq_factor=8)).key == (
        'crop_resistant/1:highfreq_factor=8,segment_hash="phash"'
    )


def test_exif_orientation_and_format_version_are_part_of_the_spec():
    exif = params_json(HashParams(), DecodeOptions(apply_exif_orientation=True))
    assert json.loads(exif)["exif_orientation"] is True
    for algorithm in registry.ALGORITHMS:
        with_exif = spec_from_json(algorithm, exif)
        assert with_exif != spec_from_json(algorithm, MAIN_PARAMS)
        assert with_exif.difference(spec_of(algorithm, HashParams())) == ("exif_orientation", "true", "false")
    assert spec_from_json("phash", exif).key == "phash/1:exif_orientation=true"
    # robust signatures of format 1 (main before aeb74be wrote "robust_version":1) are another spec
    old_robust = MAIN_PARAMS.replace('"robust_version":2', '"robust_version":1')
    assert spec_from_json("robust", old_robust).difference(spec_of("robust", HashParams())) == (
        "format version",
        "1",
        "4",
    )
    assert spec_from_json("phash", old_robust) == spec_of("phash", HashParams())
    assert "robust_version" not in {f.name for f in dataclasses.fields(HashParams)}


def test_keys_a_newer_sparkhash_wrote_are_never_ignored():
    newer = json.dumps({**json.loads(MAIN_PARAMS), "phash_knob": 3, "pdq_version": 2})
    assert spec_from_json("phash", newer).key == "phash/1:phash_knob=3"  # pdq: unknown here, not joined
    assert spec_from_json("phash", newer).difference(spec_of("phash", HashParams()))[0] == "phash_knob"


def test_a_new_hash_params_field_with_its_default_keeps_old_outputs_valid(monkeypatch):
    """What adding `phash_knob: int = 0` to HashParams (and to phash's record fields) does: old
    params text, which lacks it, and new rows at the default have one key; another value not."""
    newer = dataclasses.make_dataclass(
        "HashParams", [("phash_knob", int, dataclasses.field(default=0))], bases=(HashParams,), frozen=True
    )
    record = registry.REGISTRY["phash"]
    monkeypatch.setattr(spec, "HashParams", newer)
    monkeypatch.setitem(
        registry.REGISTRY, "phash", dataclasses.replace(record, fields=(*record.fields, "phash_knob"))
    )
    written = spec.params_json(newer())
    assert json.loads(written)["phash_knob"] == 0 and written != MAIN_PARAMS
    old, new = spec.spec_from_json("phash", MAIN_PARAMS), spec.spec_from_json("phash", written)
    assert old == new == spec.spec_of("phash", newer()) and old.key == "phash/1"
    assert dict(new.settings)["phash_knob"] == 0
    other = spec.spec_of("phash", newer(phash_knob=2))
    assert other.key == "phash/1:phash_knob=2" and other.difference(old) == ("phash_knob", "2", "0")
    assert spec.settings_from_json(MAIN_PARAMS)[0] == newer()


def test_settings_from_json_gives_back_what_made_the_text():
    params, options = (
        HashParams(hash_size=16, segment_hash="whash"),
        DecodeOptions(apply_exif_orientation=True),
    )
    assert spec.settings_from_json(params_json(params, options)) == (params, options)
    assert spec.settings_from_json(MAIN_PARAMS) == (HashParams(), DecodeOptions())


def test_robust_record_format_is_the_signature_format():
    from sparkhash.core import robust  # OpenCV

    assert registry.get("robust").format_version == robust.FORMAT_VERSION


def test_robust_version_other_than_current_is_refused_before_spark(capsys, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (8, 8)).save(images / "a.png")
    line = refused(capsys, ["hash", str(images), str(tmp_path / "out"), "--robust-version", "1"])
    assert line.startswith("sparkhash hash: --robust-version") and "version 4 only" in line
    assert not (tmp_path / "out").exists()
    parser, _ = parser_for("hash")  # the current format is still accepted (old command lines)
    config_from_args(parser.parse_args(["in", "out", "--algorithms", "robust", "--robust-version", "4"]))
    with pytest.raises(TypeError):
        HashParams(robust_version=1)  # the library: not a parameter any more


# ------------------------------------------------------------------------------ jobs (Spark)


@pytest.mark.spark
def test_exif_on_and_off_are_never_one_table(spark, capsys, tmp_path):
    images = tmp_path / "images"
    write_image_set(images, count=2, seed=3)
    plain, exif = str(tmp_path / "plain"), str(tmp_path / "exif")
    assert main(["hash", str(images), plain, "--algorithms", "phash"]) == 0
    assert main(["hash", str(images), exif, "--algorithms", "phash", "--exif-orientation"]) == 0

    line = refused(capsys, ["hash", str(images), plain, "--algorithms", "phash", "--exif-orientation"])
    assert "holds phash hashes made with exif_orientation false, this run asks for true" in line

    from sparkhash.spark.tables import read_hashes

    both = str(tmp_path / "both")
    read_hashes(spark, plain).unionByName(read_hashes(spark, exif)).write.parquet(both)
    line = refused(capsys, ["dups", both, str(tmp_path / "dups")])
    assert (
        line.startswith("sparkhash dups: ") and "phash" in line and "exif_orientation false and true" in line
    )

    line = refused(capsys, ["match", exif, plain, str(tmp_path / "matches")])
    assert line.startswith("sparkhash match: ") and "exif_orientation" in line


@pytest.mark.spark
def test_main_output_is_read_extended_with_an_algorithm_and_deduplicated(spark, tmp_path, main_images_dir):
    from fixtures.make_main_output import IMAGES_DIR, images, jpeg, put_images

    from sparkhash.dedup.job import DupsConfig, run_dups
    from sparkhash.dedup.output import read_dups
    from sparkhash.spark.hash_job import HashJobConfig, IncompatibleOutputError, run_hash_job
    from sparkhash.spark.tables import committed_runs, read_hashes, read_segments

    hashes, dups = tmp_path / "hashes_output", tmp_path / "dups_output"
    shutil.copytree(FIXTURE / "hashes_output", hashes)
    shutil.copytree(FIXTURE / "dups_output", dups)
    files = images()
    put_images(IMAGES_DIR, files)  # where (and with the mtimes) main hashed them
    uri = {name: f"file:{IMAGES_DIR}/{name}" for name in files}

    # read as main wrote it
    before = {r["path"]: r for r in read_hashes(spark, str(hashes)).collect()}
    assert set(before) == set(uri.values()) and "dhash" not in next(iter(before.values())).asDict()
    assert {(r["path_a"], r["path_b"]) for r in read_dups(spark, str(dups)).pairs.collect()} == {
        (uri["a.jpg"], uri["a_copy.jpg"])
    }

    # a run that leaves out an algorithm the OUTPUT holds is refused (its rows would lack it)
    with pytest.raises(IncompatibleOutputError, match="also holds crop_resistant hashes"):
        run_hash_job(spark, HashJobConfig(IMAGES_DIR, str(hashes), algorithms=("phash", "dhash")))

    # a new file (a near copy of b) and a new algorithm: every current row ends up with dhash
    new = {"e.jpg": jpeg(Image.open(Path(FIXTURE / "images" / "b.jpg")), 50)}
    put_images(IMAGES_DIR, {**files, **new})
    uri["e.jpg"] = f"file:{IMAGES_DIR}/e.jpg"
    config = HashJobConfig(IMAGES_DIR, str(hashes), algorithms=("phash", "dhash", "crop_resistant"))
    summary = run_hash_job(spark, config)
    assert (summary.files_seen, summary.hashed, summary.failed) == (6, 6, 0)
    rows = {r["path"]: r for r in read_hashes(spark, str(hashes)).collect()}
    assert set(rows) == set(uri.values())
    for name, path in uri.items():
        data = (files | new)[name]
        assert rows[path]["dhash"] == expected_hashes(data, ("dhash",))["dhash"], name
        assert rows[path]["phash"] == expected_hashes(data, ("phash",))["phash"], name
        if path in before:
            assert rows[path]["phash"] == before[path]["phash"]  # same spec, same bits
    assert read_segments(spark, str(hashes)).select("path").distinct().count() == 6
    assert [r.algorithms for r in committed_runs(spark, str(hashes))] == [
        "phash,crop_resistant",
        "phash,dhash,crop_resistant",
    ]
    assert run_hash_job(spark, config).hashed == 0  # nothing lacks an algorithm any more

    # deduplicated into main's dups OUTPUT, on the added algorithm
    run_dups(spark, DupsConfig(hashes=str(hashes), output=str(dups), algorithm="dhash", threshold=8))
    pairs = {(r["path_a"], r["path_b"]) for r in read_dups(spark, str(dups)).pairs.collect()}
    assert (uri["a.jpg"], uri["a_copy.jpg"]) in pairs and (uri["b.jpg"], uri["e.jpg"]) in pairs


@pytest.mark.spark
def test_main_output_gets_an_inventory_from_its_first_rerun(spark, tmp_path, main_images_dir):
    """main's OUTPUT has no inventory: a re-run with nothing new reads its hashes rows, commits
    one run of no rows with the inventory, and the next re-run commits nothing."""
    from fixtures.make_main_output import IMAGES_DIR, images, put_images

    from sparkhash.spark import inventory, tables
    from sparkhash.spark.hash_job import HashJobConfig, run_hash_job

    hashes = tmp_path / "hashes_output"
    shutil.copytree(FIXTURE / "hashes_output", hashes)
    put_images(IMAGES_DIR, images())  # where (and with the mtimes) main hashed them
    for extra in set(Path(IMAGES_DIR).iterdir()) - {Path(IMAGES_DIR) / name for name in images()}:
        extra.unlink()  # e.g. the file another test added
    before = sorted(tuple(r) for r in tables.read_hashes(spark, str(hashes)).collect())
    config = HashJobConfig(IMAGES_DIR, str(hashes))  # OUTPUT's own algorithms
    summary = run_hash_job(spark, config)
    assert (summary.hashed, summary.failed, summary.skipped) == (0, 0, 5) and summary.run_id
    assert sorted(tuple(r) for r in tables.read_hashes(spark, str(hashes)).collect()) == before
    assert [p.name for p in (hashes / "inventory").iterdir()] == [f"run_id={summary.run_id}"]
    known, rebuilt = inventory.read_known(spark, str(hashes), tables.committed_runs(spark, str(hashes)))
    assert not rebuilt and sorted(tuple(r) for r in known.collect()) == sorted(
        tuple(r) for r in tables.read_hashes(spark, str(hashes)).select(*known.columns).collect()
    )
    assert run_hash_job(spark, config).run_id is None


@pytest.mark.spark
def test_a_rerun_without_algorithms_keeps_making_what_output_holds(spark, capsys, tmp_path):
    """A scheduled `sparkhash hash IN OUT` with no --algorithms does not add the defaults to an
    OUTPUT made with fewer (which would re-hash every file): it makes OUTPUT's own algorithms."""
    from sparkhash.spark.tables import committed_runs, read_hashes

    images = tmp_path / "images"
    write_image_set(images, count=2, seed=5)
    out = str(tmp_path / "out")
    assert main(["hash", str(images), out, "--algorithms", "phash"]) == 0
    write_image_set(tmp_path / "images" / "more", count=1, seed=6)
    capsys.readouterr()
    assert main(["hash", str(images), out]) == 0
    assert " 1 hashed" in capsys.readouterr().out  # only the new file, with phash alone
    assert [r.algorithms for r in committed_runs(spark, out)] == ["phash", "phash"]
    rows = read_hashes(spark, out).collect()
    assert len(rows) == 3 and all(r["phash"] for r in rows) and "dhash" not in read_hashes(spark, out).columns
    # a new OUTPUT without --algorithms gets the imagehash defaults
    fresh = str(tmp_path / "fresh")
    assert main(["hash", str(images), fresh]) == 0
    assert committed_runs(spark, fresh)[-1].algorithms == ",".join(registry.DEFAULT_ALGORITHMS)
