"""Run directories on disk: replaced atomically, never half-written, never lost.

A run directory ``out/<name>/`` is never written in place. Everything that belongs to
one name lives in hidden siblings (a scenario name cannot start with ``.``, so these
never clash with another run):

* ``.<name>.partial/``: an unfinished sweep, its runs saved one part file at a time
  (:mod:`accord.lab.parts`); ``accord run … --resume`` completes it;
* ``.<name>.new-<pid>/``: a run directory being assembled;
* ``.<name>.old-<pid>/``: the previous run directory, for an instant, on a file system
  without an atomic exchange;
* ``.<name>.lock``: held (``flock``) while a process writes any of the above.

:func:`swap_in` moves an assembled directory into place. Where the previous directory
exists it exchanges the two in one ``renameat2(RENAME_EXCHANGE)`` (Linux ≥ 3.15, the
``rename(2)`` manual page), so ``out/<name>`` always exists and is always whole; the
previous directory then sits at the new one's temporary name and is removed. Elsewhere
it renames the previous directory aside first, and :func:`recover` (run before any
write) puts it back if a kill fell between the two renames. So a kill at any moment
leaves either the previous results or the new ones, whole, and never deletes the
previous results until the new ones are in place.

Files inside a directory being written are replaced the same way: written under a
``.tmp`` name, flushed to disk (``fsync``) and renamed over the final name
(:func:`write_atomic`), so no reader ever sees half a file.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "RunDirBusy",
    "link_tree",
    "locked",
    "new_sibling",
    "partial_dir",
    "recover",
    "swap_in",
    "write_atomic",
]

TMP_SUFFIX = ".tmp"


class RunDirBusy(RuntimeError):
    """Another process is writing the same run directory."""


def partial_dir(out: str | Path, name: str) -> Path:
    """Where the unfinished sweep of run ``name`` keeps its finished runs."""
    return Path(out) / f".{name}.partial"


def new_sibling(target: Path) -> Path:
    """A fresh, empty hidden sibling of ``target`` to assemble a run directory in."""
    build = target.parent / f".{target.name}.new-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    return build


@contextmanager
def locked(out: str | Path, name: str) -> Iterator[None]:
    """Hold ``out/.<name>.lock`` while writing run ``name``; :class:`RunDirBusy` if
    another process holds it (two sweeps of one name would overwrite each other's
    parts). Without ``fcntl`` (Windows) nothing is locked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f".{name}.lock"
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirBusy(
                f"another process is writing run {name!r} in {out} (it holds {path})"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def recover(out: str | Path, name: str) -> None:
    """Undo what a kill left half done for run ``name`` (hold :func:`locked`).

    A previous directory renamed aside (``.<name>.old-*``) goes back into place if
    ``<name>`` is missing, and is removed if the new one made it; a directory being
    assembled (``.<name>.new-*``) is removed: the parts it was built from are still in
    ``.<name>.partial``, or it is the superseded directory after an exchange.
    """
    out = Path(out)
    target = out / name
    for old in sorted(out.glob(f".{name}.old-*")):
        if not target.exists():
            old.rename(target)
        else:
            shutil.rmtree(old)
    for build in out.glob(f".{name}.new-*"):
        shutil.rmtree(build)


def swap_in(built: Path, target: Path) -> None:
    """Make the directory ``built`` the directory at ``target`` (module docstring); the
    previous one, if any, is removed once the new one is in place."""
    if not target.exists() and not target.is_symlink():
        built.rename(target)
        return
    if _exchange(built, target):
        shutil.rmtree(built)  # now the previous directory
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    target.rename(old)
    built.rename(target)
    shutil.rmtree(old)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with ``renameat2(RENAME_EXCHANGE)``; False where the
    system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # glibc < 2.28
        return False
    path, fd = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [fd, path, fd, path, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def write_atomic(path: Path, fill: Callable[[Path], None]) -> None:
    """``fill(tmp)`` writes the file under a temporary name; it is flushed to disk and
    renamed over ``path``, so ``path`` is either absent, the old file or the whole new one."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    tmp.unlink(missing_ok=True)
    try:
        fill(tmp)
        descriptor = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def link_tree(source: Path, destination: Path) -> None:
    """Hard-link every file under ``source`` into ``destination`` (copy where the file
    system cannot link), so an assembled run directory shares the logs without copying
    them and the source stays whole until the swap."""
    for path in sorted(source.rglob("*")):
        target = destination / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    destination.mkdir(parents=True, exist_ok=True)
