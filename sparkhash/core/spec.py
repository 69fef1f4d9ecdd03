"""Hash specs: when two hashes of one algorithm may be compared.

A `HashSpec` is everything that decides the bits of one algorithm's hashes:

- the algorithm and its record's **format version** (`Algorithm.format_version`: bumped when
  its kernel changes what a hash means; not a user setting);
- its **bit-affecting parameters**: the `HashParams` fields its record names (`fields`, plus
  those of the algorithm its `inner` field names, e.g. crop_resistant's segment hash), and the
  inner algorithm's format version;
- the **decode settings** that change pixels: the `DecodeOptions` fields declared with
  `metadata={"spec": <name>}` (today EXIF orientation; a new decode mode is one more such field).

Hashes of one algorithm are comparable exactly when their specs are equal; `HashSpec.key` is
the spec as a stable string: `<algorithm>/<format version>`, then `:` and the settings that
differ from their defaults as `name=<JSON value>`, sorted, comma-separated:

    phash/1                                   default parameters
    phash/1:exif_orientation=true,hash_size=16
    crop_resistant/1:segment_hash="ahash"
    robust/2

Leaving defaults out is what keeps old outputs valid: a parameter added later with its default
value gives the key it gave before it existed (and old params text, which lacks it, reads as the
default). Hence the rule: **a default never changes** — different bits by default are a new
format version of the algorithms concerned.

The specs travel in the `params` column of every hashes and segments row, as `params_json`
writes it: the `HashParams` fields (canonical JSON, as `HashParams.to_json`), `<algorithm>_version`
for every algorithm whose format version is not 1 (so robust's rows carry `"robust_version":4`,
as before the format version left HashParams), and the decode settings that are not at their
default (`"exif_orientation":true`). `spec_from_json` reads any version's text back: a missing
key is its default (a missing version is 1); a key this sparkhash does not know (written by a
newer one) is kept in every spec, so it can only be compared with text that has the same value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

from sparkhash.core import registry
from sparkhash.core.decode import REDUCED_RULE, DecodeOptions
from sparkhash.core.params import HashParams

__all__ = [
    "HashSpec",
    "check_format_version",
    "decode_settings",
    "params_json",
    "settings_from_json",
    "spec_from_json",
    "spec_of",
    "specs_from_json",
]

_VERSION_SUFFIX = "_version"
#: DecodeOptions fields that change the bits: {params-text name: field name}.
_DECODE_FIELDS: dict[str, str] = {
    f.metadata["spec"]: f.name for f in fields(DecodeOptions) if "spec" in f.metadata
}
_DECODE_DEFAULTS: dict[str, Any] = {
    name: next(f.default for f in fields(DecodeOptions) if f.name == attr)
    for name, attr in _DECODE_FIELDS.items()
}
#: The reduced-decoding rule (`decode.REDUCED_RULE`): in the spec of reduced hashes only; a row
#: without it reads as rule 1, the first one (exact hashes never differ in it).
_REDUCED_RULE = "reduced_rule"
_DECODE_DEFAULTS[_REDUCED_RULE] = 1
_NO_DEFAULT = object()


def _version_key(algorithm: str) -> str:
    return algorithm + _VERSION_SUFFIX


def _param_defaults() -> dict[str, Any]:
    return {f.name: f.default for f in fields(HashParams)}


def _default(name: str) -> Any:
    """The value a setting has when params text does not mention it (_NO_DEFAULT: unknown)."""
    defaults = _param_defaults()
    if name in defaults:
        return defaults[name]
    if name in _DECODE_DEFAULTS:
        return _DECODE_DEFAULTS[name]
    if name.endswith(_VERSION_SUFFIX) and name[: -len(_VERSION_SUFFIX)] in registry.REGISTRY:
        return 1
    return _NO_DEFAULT


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _shown(value: Any) -> str:
    return "unset" if value is _NO_DEFAULT else _text(value)


@dataclass(frozen=True, eq=False)
class HashSpec:
    """What decides the bits of one algorithm's hashes (see the module docstring).

    settings: (name, value) pairs, sorted by name, of every bit-affecting parameter and decode
    setting, defaults included (the key leaves those out)."""

    algorithm: str
    version: int
    settings: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> str:
        """`<algorithm>/<version>[:name=value,...]`, only the settings not at their default."""
        changed = [
            f"{n}={_text(v)}" for n, v in self.settings if _default(n) is _NO_DEFAULT or v != _default(n)
        ]
        head = f"{self.algorithm}/{self.version}"
        return head + (":" + ",".join(changed) if changed else "")

    def difference(self, other: HashSpec) -> tuple[str, str, str] | None:
        """(setting, this spec's value, `other`'s value) of the first setting that differs, e.g.
        ("exif_orientation", "true", "false"), or ("format version", "1", "2"); None if equal."""
        if self.algorithm != other.algorithm:
            return ("algorithm", self.algorithm, other.algorithm)
        if self.version != other.version:
            return ("format version", str(self.version), str(other.version))
        mine, theirs = dict(self.settings), dict(other.settings)
        for name in sorted(set(mine) | set(theirs)):
            a, b = mine.get(name, _default(name)), theirs.get(name, _default(name))
            if a is _NO_DEFAULT or b is _NO_DEFAULT or a != b:
                return (name, _shown(a), _shown(b))
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashSpec) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def decode_settings(options: DecodeOptions) -> dict[str, Any]:
    """The bit-affecting decode settings of `options`, by params-text name (defaults included)."""
    settings = {name: getattr(options, attr) for name, attr in _DECODE_FIELDS.items()}
    settings[_REDUCED_RULE] = REDUCED_RULE if options.reduced else _DECODE_DEFAULTS[_REDUCED_RULE]
    return settings


def _spec(algorithm: str, values: dict[str, Any], unknown: dict[str, Any]) -> HashSpec:
    """The spec of `algorithm` from a settings dict (params, decode settings and versions)."""
    record = registry.get(algorithm)
    defaults = _param_defaults()
    settings: dict[str, Any] = {}
    names: list[str] = []
    current: registry.Algorithm | None = record
    while current is not None:
        names.extend(current.fields)
        if current is not record:
            settings[_version_key(current.name)] = values.get(_version_key(current.name), 1)
        inner = values.get(current.inner, defaults.get(current.inner or "")) if current.inner else None
        current = registry.REGISTRY.get(inner) if inner else None
    settings.update({name: values.get(name, defaults[name]) for name in names})
    settings.update({name: values.get(name, default) for name, default in _DECODE_DEFAULTS.items()})
    settings.update(unknown)
    version = values.get(_version_key(algorithm), 1)
    return HashSpec(algorithm, int(version), tuple(sorted(settings.items())))


def spec_of(algorithm: str, params: HashParams, options: DecodeOptions | None = None) -> HashSpec:
    """The spec of hashes this sparkhash makes of `algorithm` with `params` and `options`."""
    values: dict[str, Any] = {f.name: getattr(params, f.name) for f in fields(HashParams)}
    values.update(decode_settings(options or DecodeOptions()))
    values.update({_version_key(r.name): r.format_version for r in registry.REGISTRY.values()})
    return _spec(algorithm, values, {})


def _parse(text: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(known values, unknown keys) of params text; None or "" reads as all defaults."""
    data = json.loads(text) if text else {}
    if not isinstance(data, dict):
        raise ValueError(f"params text is not a JSON object: {text!r}")
    unknown = {
        k: v for k, v in data.items() if _default(k) is _NO_DEFAULT and not k.endswith(_VERSION_SUFFIX)
    }
    # `<name>_version` of an algorithm this sparkhash does not know: it cannot hash or join it.
    known = {k: v for k, v in data.items() if _default(k) is not _NO_DEFAULT}
    return known, unknown


def spec_from_json(algorithm: str, text: str | None) -> HashSpec:
    """The spec of `algorithm`'s hashes in rows whose params column holds `text` (any version's)."""
    known, unknown = _parse(text)
    return _spec(algorithm, known, unknown)


def specs_from_json(algorithms: str | tuple[str, ...], text: str | None) -> dict[str, HashSpec]:
    """{algorithm: spec} of a run that hashed `algorithms` (a tuple, or comma-separated as in
    run records) with params text `text`; algorithms this sparkhash does not know are skipped."""
    names = algorithms.split(",") if isinstance(algorithms, str) else algorithms
    return {a: spec_from_json(a, text) for a in names if a in registry.REGISTRY}


def params_json(params: HashParams, options: DecodeOptions | None = None) -> str:
    """The `params` text written with every row (see the module docstring); canonical JSON."""
    data: dict[str, Any] = json.loads(params.to_json())
    data.update(
        {_version_key(r.name): r.format_version for r in registry.REGISTRY.values() if r.format_version != 1}
    )
    data.update(
        {n: v for n, v in decode_settings(options or DecodeOptions()).items() if v != _DECODE_DEFAULTS[n]}
    )
    return _text(data)


def settings_from_json(
    text: str | None, base: DecodeOptions | None = None
) -> tuple[HashParams, DecodeOptions]:
    """The HashParams and DecodeOptions (bit-affecting fields from `text`, the others from
    `base`) that make hashes of the spec `text` describes: how to hash queries like a lake."""
    known, _ = _parse(text)
    params = HashParams(**{k: v for k, v in known.items() if k in _param_defaults()})
    decode = {attr: known.get(name, _DECODE_DEFAULTS[name]) for name, attr in _DECODE_FIELDS.items()}
    return params, replace(base or DecodeOptions(), **decode)


def check_format_version(algorithm: str, version: int | None) -> None:
    """ValueError unless `version` (None: not given) is the format `algorithm`'s hashes are made in."""
    current = registry.get(algorithm).format_version
    if version is not None and version != current:
        raise ValueError(
            f"{algorithm} format version {version} cannot be made by this sparkhash: it makes version {current} only"
        )
