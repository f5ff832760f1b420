"""Read the text files toeprob parses (model files, case files) safely, whatever the path names.

Only regular files are read: a directory, a FIFO (which would block), a device such as ``/dev/zero``
(which never ends) or a socket is refused at once. A file larger than ``max_bytes`` is refused before
it is read, and the bytes must be UTF-8. Every failure is raised as the error class the caller names,
with the path in the message. :func:`check_depth` bounds how deeply a parsed structure nests, without
recursion, so that code which walks it recursively (``copy.deepcopy``, validators) cannot overflow.

Examples
--------
>>> import tempfile, pathlib
>>> from toeprob.errors import ModelFileError
>>> folder = tempfile.mkdtemp()
>>> read_text(folder, max_bytes=100, error=ModelFileError, what="model file")
Traceback (most recent call last):
...
toeprob.errors.ModelFileError: ...: cannot read the model file: a directory, not a regular file.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Mapping
from typing import Any

import numpy as np

from toeprob.errors import ToeprobError
from toeprob.validation import check_parameter, positive_int

__all__ = ["check_depth", "check_max_bytes", "check_toml_nesting", "decode", "read_text"]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_max_bytes(max_bytes: Any, owner: str) -> int:
    """Return ``max_bytes`` if it is a positive int, else raise :class:`~toeprob.errors.ParameterError`."""
    return int(check_parameter(max_bytes, positive_int, name="max_bytes", owner=owner))


def read_text(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    error: type[ToeprobError],
    what: str,
    encoding: str = "utf-8",
) -> str:
    """Return the text of the regular file ``path`` (at most ``max_bytes`` bytes, UTF-8).

    Parameters
    ----------
    path : str or PathLike
    max_bytes : int
        Files larger than this are refused before reading.
    error : type
        The toeprob error class raised for every failure (its message starts with the path).
    what : str
        What the file is, for messages ("model file", "case file").
    encoding : str
        ``"utf-8"``, or ``"utf-8-sig"`` to accept (and drop) a UTF-8 byte-order mark.
    """
    name = os.fspath(path)

    def fail(reason: str) -> ToeprobError:
        return error(f"{name}: cannot read the {what}: {reason}")

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise fail(f"{exc.strerror or exc}.") from exc
    try:
        info = os.fstat(fd)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise fail(f"{kind}, not a regular file.")
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file.")
        if info.st_size > max_bytes:
            raise fail(f"{info.st_size:,} bytes, more than the limit of {max_bytes:,} (max_bytes).")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # the size can change while reading (or be 0, as in /proc)
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise fail(f"more than the limit of {max_bytes:,} bytes (max_bytes).")
    except OSError as exc:
        raise fail(f"{exc.strerror or exc}.") from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return decode(data, name, error=error, what=what, encoding=encoding)


def decode(data: bytes, name: str, *, error: type[ToeprobError], what: str, encoding: str = "utf-8") -> str:
    """Decode ``data`` as UTF-8, naming the file and the first bad byte on failure."""
    for bom, label in ((b"\xff\xfe", "UTF-16 (little-endian)"), (b"\xfe\xff", "UTF-16 (big-endian)")):
        if data.startswith(bom):
            raise error(f"{name}: the {what} is {label}; save it as UTF-8.")
    if encoding != "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
        raise error(f"{name}: the {what} starts with a byte-order mark; save it as UTF-8 without one.")
    if b"\x00" in data:  # valid UTF-8, but no text file of toeprob's holds NUL: UTF-16 or UTF-32
        offset = data.index(b"\x00")
        raise error(
            f"{name}: the {what} is not UTF-8 text (it looks like UTF-16): a NUL byte at offset "
            f"{offset}; save it as UTF-8."
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{name}: the {what} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start} (line {line}); save it as UTF-8."
        ) from None


def check_depth(data: Any, limit: int, *, error: type[ToeprobError], where: str) -> None:
    """Raise ``error`` if mappings and lists in ``data`` nest more than ``limit`` levels deep.

    Iterative, so any depth is checked without recursion (a cycle counts as too deep).

    Examples
    --------
    >>> from toeprob.errors import ModelFileError
    >>> check_depth({"a": [[1]]}, 3, error=ModelFileError, where="x")
    >>> check_depth({"a": [[[]]]}, 3, error=ModelFileError, where="x")
    Traceback (most recent call last):
    ...
    toeprob.errors.ModelFileError: x: tables and arrays nest more than 3 levels deep (at a[0][0]).
    """
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(data, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.items()
        elif isinstance(node, list | tuple):
            children = enumerate(node)
        else:
            continue
        if depth >= limit:
            raise error(f"{where}: tables and arrays nest more than {limit} levels deep (at {_path(path)}).")
        stack.extend((child, depth + 1, (path, key)) for key, child in children)


def _path(path: tuple[Any, ...]) -> str:
    """``(((), "a"), 0)`` -> ``"a[0]"``; long keys are cut."""
    keys = []
    while path:
        path, key = path
        keys.append(key)
    text = ""
    for key in reversed(keys):
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            key = str(key)
            text += ("." if text else "") + (key if len(key) <= 40 else key[:39] + "…")
    return text if len(text) <= 200 else text[:199] + "…"


# Strings and comments of TOML (multi-line forms first), replaced by "" before counting brackets and
# dots, so that brackets or dots inside text do not count.
_TOML_TEXT = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*+"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*+"|\'[^\'\n]*+\'|#[^\n]*+'
)
# A dotted key (``a.b."c"``) of more than {} parts: bare or (emptied) quoted parts joined by dots.
_TOML_DOTTED = r'(?<![\w"-])(?:[A-Za-z0-9_-]++|"")(?:[ \t]*+\.[ \t]*+(?:[A-Za-z0-9_-]++|"")){{{},}}'
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def check_toml_nesting(text: str, limit: int, *, error: type[ToeprobError], where: str) -> None:
    """Refuse TOML whose arrays or inline tables nest, or whose dotted keys have, more than ``limit``.

    Python's TOML parser recurses into nested arrays and inline tables (a deep file ends in a
    ``RecursionError``) and takes time quadratic in the number of parts of a dotted key; this scan,
    linear in the size of the text, runs before it.

    Examples
    --------
    >>> from toeprob.errors import ModelFileError
    >>> check_toml_nesting('a = [[1], "[[["]  # [[[', 2, error=ModelFileError, where="f.toml")
    >>> check_toml_nesting("a = [[[1]]]", 2, error=ModelFileError, where="f.toml")
    Traceback (most recent call last):
    ...
    toeprob.errors.ModelFileError: f.toml: arrays or inline tables nest more than 2 levels deep (line 1).
    """
    code = _TOML_TEXT.sub(lambda m: '""' + "\n" * m.group().count("\n"), text)
    raw = code.encode("utf-8")
    if raw:
        depth = np.cumsum(_OPEN[np.frombuffer(raw, dtype=np.uint8)], dtype=np.int64)
        deepest = int(np.argmax(depth))
        if depth[deepest] > limit:
            line = raw.count(b"\n", 0, deepest) + 1
            raise error(f"{where}: arrays or inline tables nest more than {limit} levels deep (line {line}).")
    match = _dotted(limit).search(code)
    if match is not None:
        line = code.count("\n", 0, match.start()) + 1
        raise error(f"{where}: a dotted key has more than {limit} parts (line {line}).")


@functools.lru_cache(maxsize=8)
def _dotted(limit: int) -> re.Pattern[str]:
    return re.compile(_TOML_DOTTED.format(limit))
