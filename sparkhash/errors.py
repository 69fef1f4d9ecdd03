"""Every exception sparkhash raises on purpose, in one module (no imports: every layer may use it).

`UsageError` and its subclasses are requests the user can fix: the command line prints them as
one line on stderr, exit code 2. A message names the config fields it is about (`threshold`,
`hash_size`, ...) and lists them in `fields`; the command line writes them as its flags
(`--threshold`, `--hash-size`: `sparkhash.cli.fields`). The image errors are the portable
core's (`sparkhash.core.decode`): bytes that are no image, one error row each in the jobs.
"""

from __future__ import annotations

from collections.abc import Iterable


class UsageError(ValueError):
    """A request that cannot be carried out as given (bad option values, an incompatible
    output directory, hashes that cannot be compared); the message says what to change.

    fields: the config fields (or function parameters) the message names, as written in it."""

    def __init__(self, message: str = "", fields: str | Iterable[str] = ()) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = (fields,) if isinstance(fields, str) else tuple(fields)

    def __reduce__(self):  # keeps the fields across pickling (e.g. from a Spark worker)
        return (type(self), (str(self), self.fields))

    @property
    def field(self) -> str | None:
        """The first field the message names (None when it names none)."""
        return self.fields[0] if self.fields else None


class ParamsMismatch(UsageError):
    """Hashes made with different parameters cannot be compared."""


class QueryError(UsageError):
    """The queries cannot be read or compared with the lake (a user error: one line, exit 2)."""


class KeepPolicyError(UsageError):
    """An unknown or malformed keep policy (a user error)."""


class IncompatibleOutputError(UsageError):
    """OUTPUT holds hashes of an algorithm made with another spec (parameters, decode settings,
    format version), or of an algorithm the run does not compute."""


class SparkUnavailable(UsageError):
    """The Spark Connect server named by SPARK_REMOTE does not answer."""


class LeaseHeld(UsageError):
    """Another live run holds OUTPUT's lease."""


class LeaseLost(UsageError):
    """This run's lease was taken over (it was stale): the run must not commit."""


class ImageDecodeError(ValueError):
    """Bytes that cannot be turned into an image. `reason` is a short machine-friendly tag."""

    reason = "decode_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class EmptyImageError(ImageDecodeError):
    reason = "empty"


class NotAnImageError(ImageDecodeError):
    reason = "not_an_image"


class TruncatedImageError(ImageDecodeError):
    reason = "truncated"


class ImageTooLargeError(ImageDecodeError):
    reason = "too_large"
