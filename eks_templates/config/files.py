"""Reading a file the user named (a stack file, an SSH public key) without hanging,
without reading gigabytes, and with a one-line reason when it cannot be read.

Only regular files are read. The file is opened with ``O_NONBLOCK``, so a FIFO or a
device does not block the open; ``fstat`` on the open descriptor then refuses
anything that is not a regular file (no race between a check and the open). A file
larger than the limit is refused before it is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: The largest stack file read (1 MiB). Stack files are a few KB (200 nodegroups are
#: ~60 KB); PyYAML needs ~6 s and ~100 MB per MiB, so the limit bounds both.
MAX_STACK_FILE_BYTES = 1024 * 1024
#: The largest SSH public key file read (OpenSSH keys are under 16 KB, RSA-16384 included).
MAX_KEY_FILE_BYTES = 64 * 1024


class UnreadableFile(Exception):
    """The file cannot be read; ``str(exc)`` is the reason, without the file name."""

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_


_REASONS = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory, not a file",
}


def reason(exc: OSError) -> str:
    """A short, lower-case reason for an ``OSError`` (no file name, no errno number)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc)).lower()


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is (``a directory``, ``a FIFO (named pipe)``, ...)."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit``), or UnreadableFile."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(reason(exc), exc.errno) from None
    except ValueError:  # an embedded NUL byte
        raise UnreadableFile("the name contains a NUL character") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = kind_of(st.st_mode)
            raise UnreadableFile(f"is {what}, not a regular file" if what.startswith("a ") else what)
        if st.st_size > limit:
            raise UnreadableFile(f"is {st.st_size:,} bytes; the largest file read is {limit:,} bytes")
        chunks, total = [], 0
        while True:  # the size can change while reading: never read more than the limit
            chunk = os.read(fd, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnreadableFile(f"is more than {limit:,} bytes; the largest file read is {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(reason(exc), exc.errno) from None
    finally:
        os.close(fd)


def read_text(path: Path, *, limit: int) -> str:
    """The file decoded as UTF-8 (a UTF-8 byte order mark is dropped), or UnreadableFile."""
    data = read_bytes(path, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UnreadableFile(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column {column}; "
            "save it as UTF-8"
        ) from None
