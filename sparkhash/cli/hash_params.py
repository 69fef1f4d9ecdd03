"""Command-line options generated from `HashParams`' fields: one option per field, always.

`--hash-size 16`, `--whash-image-scale 64`, `--no-whash-remove-max-haar-ll`, ...: the option
name is the field name with dashes, its type and default the field's, its choices the field's
`metadata["choices"]`. A new HashParams field is a new option with no change here.

An algorithm whose format has changed since it first shipped (registry `format_version` above
1) also gets `--<algorithm>-version`, e.g. `--robust-version 2`: the format is not a choice
(this sparkhash makes one), but command lines that state the current one keep working; any
other value is refused before Spark starts.
"""

from __future__ import annotations

import argparse
import dataclasses

from sparkhash.core.params import HashParams
from sparkhash.core.registry import REGISTRY
from sparkhash.core.spec import check_format_version
from sparkhash.errors import UsageError

_TYPES = {"int": int, "str": str, "float": float}


def option_name(name: str) -> str:
    """`--hash-size` for the field `hash_size`."""
    return "--" + name.replace("_", "-")


def add_hash_params(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """One option per HashParams field, defaults from `HashParams()` (imagehash's)."""
    defaults = HashParams()
    for f in dataclasses.fields(HashParams):
        default = getattr(defaults, f.name)
        annotation = str(f.type).replace(" ", "")
        options: dict = {"default": default, "dest": f.name}
        if annotation == "bool":
            options["action"] = argparse.BooleanOptionalAction
            options["help"] = f"(default: {default})"
        else:
            base = annotation.removesuffix("|None")
            if base not in _TYPES:
                raise TypeError(f"HashParams.{f.name}: no command-line type for {f.type!r}")
            options["type"] = _TYPES[base]
            if "choices" in f.metadata:
                options["choices"] = tuple(f.metadata["choices"])
            if default is not None:
                options["help"] = f"(default: {default})"
        parser.add_argument(option_name(f.name), **options)
    for record in _versioned():
        parser.add_argument(
            option_name(f"{record.name}_version"),
            type=int,
            dest=f"{record.name}_version",
            metavar=str(record.format_version),
            help=f"the {record.name} format (only {record.format_version}: the one this sparkhash makes)",
        )


def _versioned() -> list:
    return [r for r in REGISTRY.values() if r.format_version != 1]


def hash_params_from_args(args: argparse.Namespace) -> HashParams:
    """The HashParams of parsed options (every field has one; a missing one is a bug here).
    UsageError for a `--<algorithm>-version` other than the format this sparkhash makes."""
    for record in _versioned():
        try:
            check_format_version(record.name, getattr(args, f"{record.name}_version", None))
        except ValueError as exc:
            raise UsageError(f"{option_name(record.name + '_version')}: {exc}") from None
    return HashParams(**{f.name: getattr(args, f.name) for f in dataclasses.fields(HashParams)})
