"""The `sparkhash` command: `sparkhash sample|hash|dups|match|evaluate|report ...`.

Each sub-command lives in its own module of this package exposing `add_arguments(parser)`
and `run(args) -> int`; only the chosen one is imported (Spark imports are slow). The
modules only parse options: the work is done by the library, which takes typed configs
(`HashJobConfig`, `DupsConfig`, ...) and raises `sparkhash.errors.UsageError` for requests
the user can fix; `main` turns that into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sparkhash import __version__
from sparkhash.errors import UsageError

COMMANDS: dict[str, tuple[str, str]] = {
    "hash": ("sparkhash.cli.hash", "hash images into Parquet hash and segment tables"),
    "dups": ("sparkhash.cli.dups", "find near-duplicate pairs and clusters in a hash table"),
    "match": ("sparkhash.cli.match", "find the lake files near query images or hashes"),
    "evaluate": ("sparkhash.cli.evaluate", "measure recall/false positives on a labelled corpus"),
    "report": ("sparkhash.cli.report", "write a self-contained HTML review page of duplicate clusters"),
    "sample": ("sparkhash.cli.sample", "write a small generated image set to try the jobs on"),
}


def _usage() -> str:
    lines = ["usage: sparkhash COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "`sparkhash COMMAND --help` for a command's options."]
    return "\n".join(lines)


def parser_for(name: str, prog: str | None = None) -> tuple[argparse.ArgumentParser, object]:
    """The argument parser of command `name` and its module."""
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=prog or f"sparkhash {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    return parser, module


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run `sparkhash ARGV...`; `prog` names the command in usage lines (e.g. a jobs/ script)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(__version__)
        return 0
    name = argv[0]
    if name not in COMMANDS:
        print(f"sparkhash: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    parser, module = parser_for(name, prog)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except UsageError as exc:
        print(f"sparkhash {name}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
