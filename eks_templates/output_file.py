"""Writing a file the user named (``diagram --out``, ``plan --diagram``, the stack file
``upgrade`` edits) without destroying what is at the path, with one ``error:`` line
(exit 2) when it cannot be written, and nothing written then.

- an empty path is refused (``Path("")`` is the current directory);
- a symlink is written through: its target gets the new bytes, the link stays;
- what is there and is not a regular file (a directory, a device such as ``/dev/null``,
  a FIFO, a socket) is refused before anything is created: ``os.replace`` would put a
  regular file in its place (as root, a device node is gone);
- a parent that is a file, or a directory that cannot be created or written into
  (read-only, ``/proc``), is refused; directories created for the file are removed
  again when the write fails;
- the bytes go to a temporary file beside the target (same directory, so the rename
  is atomic), are fsync'ed, and the file is renamed into place: a reader sees the old
  file or the new one, never half of one. An existing file's mode is kept (a 0600 or
  0444 file stays so); a new file gets the umask's default, as from ``open``.

Standard library only: the render path (``diagram``) imports it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from eks_templates.config.files import kind_of, reason
from eks_templates.errors import UserError

#: (path, what it is) pairs a write must not land on, e.g. (the stack file, "the stack file being drawn")
Protected = Iterable[tuple[Path, str]]


def option_path(value: str | os.PathLike[str] | None, option: str, *, what: str = "a file") -> Path | None:
    """The path given to ``option`` (parsed as ``str``: argparse's ``type=Path`` turns
    ``''`` into ``.``), or None when it was not given; an empty one is refused."""
    if value is None:
        return None
    if os.fspath(value) == "":
        raise UserError(f"{option}: the path is empty; name {what}")
    return Path(value)


def target_of(path: Path) -> Path:
    """The file a write to ``path`` changes: a symlink's final target, else ``path``."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _not_a_directory(path: Path, target: Path) -> UserError:
    """The error for a path with a part that is not a directory (ENOTDIR, EEXIST from mkdir)."""
    for parent in reversed(target.parents):  # outermost first: the first non-directory is the culprit
        try:
            st = os.stat(parent)
        except OSError:
            break
        if not stat.S_ISDIR(st.st_mode):
            what = "a file" if stat.S_ISREG(st.st_mode) else kind_of(st.st_mode)
            return UserError(f"{path}: {parent} is {what}, not a directory")
    return UserError(f"{path}: a part of the path is not a directory")


def check(path: Path, option: str, *, protect: Protected = ()) -> Path:
    """Refuse a path that :func:`write` would refuse, before any work is done (``plan``
    checks ``--diagram`` before it makes a change set): what :func:`write` checks, and
    whether a file can be created in the directory (its nearest existing one, for a
    directory still to be made): a temporary file is made there and removed at once.
    Returns the file a write changes (a symlink's target)."""
    target, _ = _check(path, option, protect)
    directory = target.parent
    while not directory.is_dir() and directory != directory.parent:
        directory = directory.parent
    probe = directory / f".{target.name}.{os.getpid()}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))
    except OSError as exc:
        raise UserError(f"{path}: cannot create a file in {directory}: {_strerror(exc)}") from None
    probe.unlink(missing_ok=True)
    return target


def _strerror(exc: OSError) -> str:
    """The system's own words (``/proc`` answers ENOENT for a new name: "no such file or directory")."""
    return (exc.strerror or str(exc)).lower()


def _check(path: Path, option: str, protect: Protected) -> tuple[Path, os.stat_result | None]:
    """The target (a symlink's target) and its ``lstat`` (None: not there yet), or UserError."""
    option_path(path, option)
    target = target_of(path)
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise _not_a_directory(path, target) from None
    except OSError as exc:
        raise UserError(f"{path}: cannot write the file: {reason(exc)}") from None
    except ValueError:  # an embedded NUL byte
        raise UserError(f"{str(path)!r}: the name contains a NUL character") from None
    if st is not None and stat.S_ISLNK(st.st_mode):  # realpath stopped at a symlink: a loop
        raise UserError(f"{path}: too many levels of symbolic links (a symlink loop?)")
    if st is not None and not stat.S_ISREG(st.st_mode):
        # os.replace would put a regular file where the directory/device/FIFO/socket is
        what = kind_of(st.st_mode)
        raise UserError(f"{path}: is {what}, not a regular file; name a file for {option}" if what.startswith("a ")
                        else f"{path}: is not a regular file; name a file for {option}")
    for other, what in protect:
        if _same_file(target, other):
            raise UserError(f"{path}: is {what}; {option} would overwrite it: name another file")
    return target, st


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # a hard link, or the same file by another path
    except OSError:  # one does not exist: compare what the paths resolve to
        return os.path.realpath(a) == os.path.realpath(b)


def make_dirs(directory: Path, mode: int = 0o777) -> list[Path]:
    """Create ``directory`` and its missing parents (``mode`` less the umask, as ``mkdir``);
    the directories created, outermost first (for :func:`remove_dirs`). ``OSError`` as from
    ``Path.mkdir`` (``FileExistsError``: ``directory`` or a parent is there and is not a directory)."""
    missing = []
    for each in (directory, *directory.parents):
        try:
            if each.is_dir():
                break
        except OSError:
            break
        missing.append(each)
    directory.mkdir(mode=mode, parents=True, exist_ok=True)
    return missing[::-1]


def remove_dirs(created: list[Path]) -> None:
    """Remove the directories :func:`make_dirs` created (innermost first), as long as they are empty."""
    for directory in reversed(created):
        try:
            directory.rmdir()
        except OSError:
            break


def write(path: Path, data: bytes, option: str, *, protect: Protected = (), mode: int | None = None,
          dir_mode: int = 0o777) -> Path:
    """``data`` into the file at ``path`` (see the module's docstring), or UserError and
    nothing written. Returns the file written (a symlink's target).

    ``mode``: the file's mode whatever the umask and whatever the file had (a kubeconfig:
    0600); ``dir_mode``: the directories created for it (less the umask; ``~/.kube``: 0700)."""
    target, st = _check(path, option, protect)
    parent = target.parent
    try:
        created = make_dirs(parent, dir_mode)
    except (FileExistsError, NotADirectoryError):
        raise _not_a_directory(path, target) from None
    except OSError as exc:
        raise UserError(f"{path}: cannot create the directory {parent}: {_strerror(exc)}") from None
    tmp = parent / f".{target.name}.{os.getpid()}.tmp"
    try:
        # a new file: 0666 less the umask, as open() makes it; an existing one: its mode, set below
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666 if st is None and mode is None else 0o600)
    except OSError as exc:
        remove_dirs(created)
        raise UserError(f"{path}: cannot create a file in {parent}: {_strerror(exc)}") from None
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            elif st is not None:
                os.fchmod(fd, stat.S_IMODE(st.st_mode))  # keep the file's mode (0600, 0444, ...)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        remove_dirs(created)
        raise UserError(f"{path}: cannot write the file: {_strerror(exc)}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        remove_dirs(created)
        raise
    return target
