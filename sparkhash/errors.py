"""Errors the user can fix: the command line prints them as one line on stderr, exit code 2."""

from __future__ import annotations


class UsageError(ValueError):
    """A request that cannot be carried out as given (bad option values, an incompatible
    output directory, hashes that cannot be compared); the message says what to change."""
