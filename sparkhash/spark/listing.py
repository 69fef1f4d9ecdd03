"""Listing a driver-local INPUT tree in Python when Spark's own listing would go wrong.

Hadoop's local file system follows every symbolic link while it lists, so a link to a parent
directory multiplies rows until paths get too long, and a folder reached through a link is
listed twice; a broken link is dropped without a word; a name holding `:` is listed but then
cannot be read (Hadoop builds `.name.crc` paths that its `Path` refuses), failing the job.

`walk` lists the tree itself: symbolic links to directories are not followed unless asked,
and when they are, each real directory is listed once (by device and inode), under its own
path when it is inside the tree, else under the first link that reaches it — so loops end.
Files that cannot be read through Hadoop (a `:` in the path, a broken link) are returned
apart, so the job gives them an error row. Names starting with `_` or `.` are skipped, as
Spark's file sources skip them. Symbolic links to files are followed: each such path is a file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: Error of a file whose path holds ':' (Hadoop paths cannot hold it in a file or folder name).
COLON_ERROR = "path holds ':', which Hadoop paths cannot hold: rename the file to hash it"
#: Error of a symbolic link whose target does not exist.
BROKEN_LINK_ERROR = "broken symbolic link"

_GLOB_CHARS = set("*?[]{}")


@dataclass
class Unreadable:
    """A file that gets an error row without being read."""

    path: str  # as binaryFile spells it: file:/abs/path
    length: int
    modification_time: datetime | None
    error: str


@dataclass
class Walk:
    """The files of a local tree: `files` to hash (plain local paths), `unreadable` ones, and
    whether Spark's own listing would have listed something else (then `files` must be used)."""

    files: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    #: (length, modification time in ms since the epoch, as Hadoop reports it) of each file
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    linked_dirs: int = 0  # symbolic links to directories met (followed or not)

    @property
    def differs_from_spark(self) -> bool:
        return bool(self.unreadable or self.linked_dirs)


def walkable(input_path: str) -> str | None:
    """The local directory of INPUT when it is one that `walk` can list (a plain or file: path
    of an existing directory, no glob characters), else None."""
    if "://" in input_path and not input_path.startswith("file://"):
        return None
    path = input_path[len("file://") :] if input_path.startswith("file://") else input_path
    if path.startswith("file:"):
        path = path[len("file:") :]
    if ":" in path.split("/", 1)[0] or _GLOB_CHARS & set(path):
        return None
    return path if os.path.isdir(path) else None


def name_matcher(pattern: str | None):
    """A predicate on file names for a Hadoop glob such as "*.{jpg,png}" (binaryFile's
    `pathGlobFilter`): braces are expanded, then each alternative is matched case-sensitively."""
    if not pattern:
        return lambda name: True
    alternatives = [a.replace("[^", "[!") for a in _expand_braces(pattern)]
    regexes = [re.compile(fnmatch.translate(a)) for a in alternatives]
    return lambda name: any(r.match(name) for r in regexes)


def _expand_braces(pattern: str) -> list[str]:
    start = pattern.find("{")
    if start < 0:
        return [pattern]
    depth = 0
    for end in range(start, len(pattern)):
        depth += {"{": 1, "}": -1}.get(pattern[end], 0)
        if depth == 0:
            break
    else:
        return [pattern]
    inner, parts, depth, current = pattern[start + 1 : end], [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current += char
    parts.append(current)
    head, tail = pattern[:start], pattern[end + 1 :]
    return [expanded for part in parts for expanded in _expand_braces(head + part + tail)]


def _hidden(name: str) -> bool:
    """Spark's rule for names its file sources skip."""
    return (name.startswith("_") and "=" not in name) or name.startswith(".") or name.endswith("._COPYING_")


def walk(
    root: str, name_filter: str | None = None, recursive: bool = True, follow_symlinks: bool = False
) -> Walk:
    """List the files under the local directory `root` (see the module docstring)."""
    matches = name_matcher(name_filter)
    result = Walk()
    root = os.path.abspath(root)
    seen: set[tuple[int, int]] = set()
    top = os.stat(root)
    seen.add((top.st_dev, top.st_ino))
    real_dirs: list[str] = [root]
    links: list[str] = []
    # Real directories first (all reachable ones), then links one at a time: a folder inside
    # the tree is listed under its own path, one reached only through links under a link's.
    while real_dirs:
        while real_dirs:
            directory = real_dirs.pop()
            for entry in _entries(directory):
                if _hidden(entry.name):
                    continue
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir(follow_symlinks=True)
                except OSError:
                    continue
                if not is_dir:
                    if matches(entry.name):
                        _add_file(result, entry, is_link)
                elif not recursive:
                    continue
                elif is_link:
                    result.linked_dirs += 1
                    if follow_symlinks:
                        links.append(entry.path)
                elif _first_visit(seen, entry.path):
                    real_dirs.append(entry.path)
        while links and not real_dirs:
            link = links.pop(0)
            if _first_visit(seen, link):  # loops and folders listed already end here
                real_dirs.append(link)
    result.files.sort()
    result.unreadable.sort(key=lambda u: u.path)
    return result


def _first_visit(seen: set[tuple[int, int]], path: str) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    key = (info.st_dev, info.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _entries(directory: str) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:  # vanished or unreadable folder: its files are not listed
        return []


def _add_file(result: Walk, entry: os.DirEntry, is_link: bool) -> None:
    try:
        info = entry.stat(follow_symlinks=True)
    except FileNotFoundError:
        if is_link:
            link = entry.stat(follow_symlinks=False)
            result.unreadable.append(Unreadable(f"file:{entry.path}", 0, _mtime(link), BROKEN_LINK_ERROR))
        return  # deleted while listing: not a file of this run
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode):
        return
    if ":" in entry.path:
        result.unreadable.append(Unreadable(f"file:{entry.path}", info.st_size, _mtime(info), COLON_ERROR))
        return
    result.files.append(entry.path)
    result.stats[entry.path] = (info.st_size, info.st_mtime_ns // 1_000_000)


def _mtime(info: os.stat_result) -> datetime:
    """Modification time to the millisecond, as Hadoop's local file system reports it."""
    return datetime.fromtimestamp(info.st_mtime_ns // 1_000_000 / 1000, tz=timezone.utc)
