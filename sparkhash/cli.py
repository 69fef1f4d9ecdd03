"""The `sparkhash` command: `sparkhash hash|dups|evaluate|report ...`.

Each sub-command lives in its own module exposing `add_arguments(parser)` and
`run(args) -> int`; only the chosen one is imported (Spark imports are slow).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "hash": ("sparkhash.spark.hash_job", "hash images into Parquet hash and segment tables"),
    "dups": ("sparkhash.dedup.job", "find near-duplicate pairs and clusters in a hash table"),
    "evaluate": ("sparkhash.evaluate", "measure recall/false positives on a labelled corpus"),
    "report": ("sparkhash.report", "write a self-contained HTML review page of duplicate clusters"),
    "sample": ("sparkhash.sample", "write a small generated image set to try the jobs on"),
}


def _usage() -> str:
    lines = ["usage: sparkhash COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "`sparkhash COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        from sparkhash import __version__

        print(__version__)
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"sparkhash: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"sparkhash {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
