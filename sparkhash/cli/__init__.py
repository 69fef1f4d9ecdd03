"""The `sparkhash` command: `sparkhash sample|hash|dups|match|evaluate|report ...`.

Each sub-command lives in its own module of this package exposing `add_arguments(parser)`
and `run(args) -> int`; only the chosen one is imported (Spark imports are slow). The
modules only parse options: the work is done by the library, which takes typed configs
(`HashJobConfig`, `DupsConfig`, ...), returns results (the commands print them) and raises
`sparkhash.errors.UsageError` for requests the user can fix, naming config fields; `main`
turns that into one line on stderr naming our flags instead (`cli.fields`) and exit code 2.

Every failure ends with one line on stderr: a user error (exit 2), Ctrl-C (`interrupted`, exit
130), or any other error (its first line, exit 1). `--debug` (anywhere on the command line)
shows the traceback instead, and the Spark driver's own console logging, which the commands
otherwise keep quiet (`sparkhash.spark.session.get_session(quiet=True)`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
import warnings

from sparkhash import __version__
from sparkhash.cli.fields import flagged
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
    lines += [
        "",
        "`sparkhash COMMAND --help` for a command's options; --debug shows tracebacks and Spark's logs.",
    ]
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
    debug = "--debug" in argv
    args = parser.parse_args([a for a in argv[1:] if a != "--debug"])
    args.debug = debug  # the commands start Spark quietly unless --debug
    if debug:
        try:
            return int(module.run(args) or 0)
        except UsageError as exc:
            exc.args = (flagged(exc, name),)  # the traceback's message in the command line's words
            raise
    with _quiet_python():
        try:
            return int(module.run(args) or 0)
        except UsageError as exc:
            print(f"sparkhash {name}: {one_line(flagged(exc, name) or exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"sparkhash {name}: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - one line for the user; --debug shows the rest
            if interrupted(exc):
                print(f"sparkhash {name}: interrupted", file=sys.stderr)
                return 130
            print(f"sparkhash {name}: error: {one_line(exc)} (--debug shows the traceback)", file=sys.stderr)
            return 1


@contextlib.contextmanager
def _quiet_python():
    """No Python warnings and no log records on the console while a command runs (py4j logs
    every broken call, e.g. when Ctrl-C interrupts one); the command's own lines remain."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def interrupted(exc: BaseException) -> bool:
    """Was `exc` raised while a Ctrl-C was being handled? Py4J cleans up the Java call a
    KeyboardInterrupt broke off, and that cleanup raises its own error when the JVM, which got
    the same SIGINT, is already gone ("Gateway must be connected to send cancel cmd."): the
    user pressed Ctrl-C all the same."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def one_line(exc: BaseException | str) -> str:
    """The first meaningful line of an exception's message (for a Java exception through Py4J,
    the Java exception's own message), or of a message."""
    if isinstance(exc, str):
        text = exc
    else:
        java = getattr(exc, "java_exception", None)
        text = str(java.toString()) if java is not None and not str(exc).startswith("[") else str(exc)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "error" if isinstance(exc, str) else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
