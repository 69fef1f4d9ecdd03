"""Config fields and command-line flags: the one mapping between the library's words and ours.

The library names config fields in its errors (`threshold must be 0 or more`, listed in
`UsageError.fields`); the command line writes them as its flags (`--threshold must be 0 or
more`). A field's flag is the field with dashes (`hash_size` -> `--hash-size`) unless `_FLAGS`
says otherwise for a command. Options take their defaults from the config dataclasses
(`default`), so a default is declared once, in the dataclass.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

from sparkhash.core.registry import DEFAULT_THRESHOLD, REGISTRY, VERIFIED
from sparkhash.errors import UsageError

#: Per command, the fields whose flag is not the field's name with dashes.
_FLAGS: dict[str, dict[str, str]] = {
    # `sparkhash hash --stream --dups DIR` fills a DupsConfig from its --dups-* options
    "hash": {"algorithm": "--dups-algorithm", "threshold": "--dups-threshold"},
}


def flag(field: str, command: str | None = None) -> str:
    """The flag of config field `field` in `command`: `--hash-size` for `hash_size`."""
    return _FLAGS.get(command or "", {}).get(field) or "--" + field.replace("_", "-")


def with_flags(text: str, fields: tuple[str, ...], command: str | None = None) -> str:
    """`text` with each of `fields`, where it stands as a word, written as its flag."""
    if not fields:
        return text
    names = "|".join(re.escape(f) for f in sorted(set(fields), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])({names})(?![\w/-])")
    return pattern.sub(lambda m: flag(m[1], command), text)


def flagged(exc: UsageError, command: str | None = None) -> str:
    """The message of a UsageError in the command line's words (its fields as flags)."""
    return with_flags(str(exc), getattr(exc, "fields", ()), command)


def default(config: Any, name: str) -> Any:
    """The default of field `name` of the config dataclass `config` (what its option defaults
    to); for a library function, of its parameter `name`."""
    if not dataclasses.is_dataclass(config):
        value = inspect.signature(config).parameters[name].default
        if value is inspect.Parameter.empty:
            raise TypeError(f"{config.__name__}({name}) has no default")
        return value
    for f in dataclasses.fields(config):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            raise TypeError(f"{config.__name__}.{name} has no default")
    raise TypeError(f"{config.__name__} has no field {name!r}")


def threshold_defaults() -> str:
    """The default thresholds the algorithms' records declare, for an option's help:
    "4; pdq 31; crop_resistant a quarter of a row's bits (imagehash's cutoff)"."""
    own: dict[str, list[str]] = {}
    for record in REGISTRY.values():
        if record.matcher == VERIFIED or record.threshold == DEFAULT_THRESHOLD:
            continue
        if record.threshold is None:
            text = "a quarter of a row's bits (imagehash's cutoff)"
        else:
            text = str(record.threshold)
        own.setdefault(text, []).append(record.name)
    rest = "; ".join(f"{', '.join(names)} {text}" for text, names in own.items())
    return f"{DEFAULT_THRESHOLD}; {rest}" if rest else str(DEFAULT_THRESHOLD)
