"""`--out`: the whole file or nothing, no `.ztb-*` left behind on any failure, symlinks written through."""

from __future__ import annotations

import os
import stat

import pytest

from ztb.cli import outfile
from ztb.errors import ZtbError
from ztb.cli.outfile import write_atomically


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".ztb-"))


def test_a_new_file_gets_the_text_a_final_newline_and_the_umask_mode(tmp_path):
    path = tmp_path / "report.txt"
    write_atomically(str(path), "hello")
    assert path.read_text() == "hello\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path) == []


def test_a_replaced_file_keeps_its_permission_bits(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomically(str(path), "new\n")
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o640


def boom(exc):
    def raiser(*args, **kwargs):
        raise exc
    return raiser


@pytest.mark.parametrize("where", ["fsync", "chmod", "replace"])
@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt(), MemoryError()],
                         ids=["disk full", "Ctrl-C", "out of memory"])
def test_any_failure_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, where, exc):
    path = tmp_path / "drift.sarif"
    path.write_text("previous\n")
    monkeypatch.setattr(outfile.os, where, boom(exc))
    with pytest.raises((ZtbError, KeyboardInterrupt, MemoryError)) as e:
        write_atomically(str(path), "{}")
    monkeypatch.undo()
    if isinstance(exc, OSError):
        assert e.type is ZtbError and "No space left on device" in str(e.value) and "\n" not in str(e.value)
    assert path.read_text() == "previous\n"
    assert leftovers(tmp_path) == []


def test_text_that_cannot_be_encoded_is_an_error_and_leaves_nothing(tmp_path):
    path = tmp_path / "out.json"
    with pytest.raises(ZtbError, match="cannot be encoded as UTF-8"):
        write_atomically(str(path), "lone \ud800 surrogate")
    assert not path.exists() and leftovers(tmp_path) == []


def test_an_unwritable_directory_is_one_error_line(tmp_path):
    with pytest.raises(ZtbError, match="cannot write .*No such file or directory"):
        write_atomically(str(tmp_path / "missing" / "out.json"), "x")


def test_a_symlink_is_written_through_to_its_target_and_stays_a_link(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    target = reports / "2025-04-01.json"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_atomically(str(link), "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == [] and leftovers(reports) == []


def test_a_chain_of_symlinks_is_followed_to_the_file(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old\n")
    (tmp_path / "a").symlink_to(target)
    (tmp_path / "b").symlink_to(tmp_path / "a")
    write_atomically(str(tmp_path / "b"), "new")
    assert target.read_text() == "new\n" and (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_a_dangling_symlink_is_refused_and_nothing_is_created(tmp_path):
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "elsewhere" / "victim")
    with pytest.raises(ZtbError, match="symbolic link to .* which does not exist"):
        write_atomically(str(link), "x")
    assert link.is_symlink() and not (tmp_path / "elsewhere").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_target_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = tmp_path / "null"
        path.symlink_to("/dev/null")
    with pytest.raises(ZtbError, match="not a regular file.*--out -"):
        write_atomically(str(path), "x")
    assert leftovers(tmp_path) == []


def test_dash_writes_to_stdout(capsys):
    write_atomically("-", "to stdout")
    assert capsys.readouterr().out == "to stdout\n"
