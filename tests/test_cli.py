"""The command-line package: one option per HashParams field, usage errors, every command parses."""

from __future__ import annotations

import dataclasses

import pytest

from sparkhash.cli import COMMANDS, main, parser_for
from sparkhash.cli.hash import config_from_args
from sparkhash.cli.hash_params import option_name
from sparkhash.cli.spark_options import session_settings
from sparkhash.core.params import HashParams


def _changed(name: str, value):
    """A non-default command-line value for a field, and the value the field should then have."""
    if isinstance(value, bool):
        return [f"--no-{name.replace('_', '-')}" if value else option_name(name)], not value
    f = next(f for f in dataclasses.fields(HashParams) if f.name == name)
    if "choices" in f.metadata:
        other = next(c for c in f.metadata["choices"] if c != value)
        return [option_name(name), other], other
    return [option_name(name), "32" if value != 32 else "16"], 32 if value != 32 else 16


def test_every_hash_params_field_has_a_flag():
    parser, _ = parser_for("hash")
    defaults = HashParams()
    assert config_from_args(parser.parse_args(["in", "out"])).params == defaults
    for f in dataclasses.fields(HashParams):
        argv, expected = _changed(f.name, getattr(defaults, f.name))
        params = config_from_args(parser.parse_args(["in", "out", *argv])).params
        assert getattr(params, f.name) == expected, f.name
        assert dataclasses.replace(params, **{f.name: getattr(defaults, f.name)}) == defaults, f.name


def test_whash_remove_max_haar_ll_can_be_switched_off():
    parser, _ = parser_for("hash")
    args = parser.parse_args(["in", "out", "--no-whash-remove-max-haar-ll"])
    assert config_from_args(args).params.whash_remove_max_haar_ll is False


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    assert f"sparkhash {name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - {"sample"}))
def test_every_spark_command_takes_master_profile_and_conf(name):
    parser, _ = parser_for(name)
    options = {o for action in parser._actions for o in action.option_strings}
    assert {"--master", "--profile", "--conf"} <= options


def test_conf_settings_win_over_the_commands_own():
    parser, _ = parser_for("dups")
    argv = ["h", "o", "--conf", "spark.driver.memory=6g", "--conf", "spark.x=a=b"]
    args = parser.parse_args(argv)
    own = {"spark.driver.memory": "2g", "spark.y": "1"}
    assert session_settings(args, own) == {"spark.driver.memory": "6g", "spark.y": "1", "spark.x": "a=b"}
    assert session_settings(parser.parse_args(["h", "o"]), own) == own


def test_bad_hash_option_is_one_line_and_exit_2(capsys):
    # an invalid segment hash is refused by argparse itself; an unknown algorithm by the library
    assert main(["hash", "in", "out", "--algorithms", "md5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown algorithm" in err[0]
