"""`--out FILE`: the whole file or nothing, and never a stray temporary file.

A report or snapshot is written to a temporary file beside its target (``.ztb-*``), flushed to
disk, then renamed over the target in one step (:func:`os.replace`), so a reader never sees half a
file and a failed run leaves the previous file as it was. Whatever stops the write (a full disk,
text that cannot be encoded, Ctrl-C) removes the temporary file before the error is reported.

Symbolic links are written *through*, deliberately: ``--out latest.json`` where ``latest.json``
links to ``reports/2025-04-01.json`` replaces ``reports/2025-04-01.json`` (atomically, in its own
directory) and leaves the link in place, as editors and ``sed -i --follow-symlinks`` do. A link
whose target does not exist is refused rather than followed (creating a file wherever a link
points is how symlink attacks in shared directories work), and so is a target that is not a
regular file (``/dev/stdout``: use ``--out -``). A file that is replaced keeps its permission bits;
a new file gets the usual ones (0666 less the umask).
"""

from __future__ import annotations

import os
import stat
import tempfile

import click

from ztb.cli.options import scrub
from ztb.errors import ZtbError


def truncate(value: str, limit: int) -> str:
    from ztb.render.plan import truncate as shorten  # the model behind it is loaded only on a failure

    return shorten(value, limit)


def _target(path: str) -> tuple[str, int | None]:
    """The file to replace (symlinks resolved) and its permission bits, or None for a new file."""
    shown = truncate(path, 200)
    if os.path.islink(path):
        real = os.path.realpath(path)
        if not os.path.exists(real):
            raise ZtbError(f"cannot write {shown}: it is a symbolic link to {truncate(real, 200)}, which does not exist; "
                           "pass the target path itself, or create the target first")
        path = real
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path, None
    except OSError as e:
        raise ZtbError(f"cannot write {shown} ({e.strerror or e}); pass a writable --out path") from None
    if not stat.S_ISREG(st.st_mode):
        raise ZtbError(f"cannot write {shown}: it is not a regular file; pass a file path (`--out -` writes to stdout)")
    return path, stat.S_IMODE(st.st_mode)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` (plus a final newline) to ``path`` whole or not at all; ``-`` is stdout."""
    if path == "-":
        click.echo(text)
        return
    target, mode = _target(path)
    directory = os.path.dirname(os.path.abspath(target))
    data = text if text.endswith("\n") else text + "\n"
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ztb-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode() if mode is None else mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise ZtbError(f"cannot write {truncate(path, 200)} ({e.strerror or e}); pass a writable --out path") from None
    except UnicodeError as e:
        raise ZtbError(f"cannot write {truncate(path, 200)}: the text cannot be encoded as UTF-8 ({e.reason}); nothing was written") from None
    finally:
        # Every way out (an error above, KeyboardInterrupt, MemoryError) removes the temporary file.
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_output(path: str, text: str) -> None:
    """``--out`` (or ``-``): the text with any secret the process has seen removed, written whole."""
    write_atomically(path, scrub(text, data=True))
