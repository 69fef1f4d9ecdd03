"""Where the Spark settings in `conf/` are found, and how they are read.

`conf/*.conf` (spark-defaults format) is the single source of Spark settings. In a source
checkout or editable install it is the repository's `conf/`; a wheel installs the same files
under `<prefix>/share/sparkhash/conf`. SPARKHASH_CONF_DIR overrides both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROFILES = ("local", "cluster")


def conf_dir() -> Path:
    """The directory holding local.conf and cluster.conf."""
    env = os.environ.get("SPARKHASH_CONF_DIR")
    candidates = [Path(env)] if env else []
    candidates += [
        Path(__file__).resolve().parent.parent / "conf",
        Path(sys.prefix) / "share" / "sparkhash" / "conf",
    ]
    for path in candidates:
        if (path / "local.conf").is_file():
            return path
    raise FileNotFoundError(
        "sparkhash Spark settings not found (looked in: " + ", ".join(map(str, candidates)) + ")"
    )


def read_conf(path: str | os.PathLike) -> dict[str, str]:
    """Parse a spark-defaults style file: `key value` per line, `#` comments."""
    settings: dict[str, str] = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        settings[key.strip()] = value.strip()
    return settings


def profile_settings(profile: str) -> dict[str, str]:
    """Settings of a named profile ("local" or "cluster") or of a path to a .conf file."""
    if profile in PROFILES:
        return read_conf(conf_dir() / f"{profile}.conf")
    return read_conf(profile)
