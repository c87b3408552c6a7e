"""Atomic output files: a failed or interrupted write never leaves a partial file."""

from __future__ import annotations

import os
import stat

import pytest

from actcli.errors import UsageError
from actcli.files import atomic_write, atomic_writer


def test_writes_the_bytes_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "table.csv"
    atomic_write(target, b"x,f\n0,0\n")
    assert target.read_bytes() == b"x,f\n0,0\n"
    assert sorted(os.listdir(tmp_path)) == ["table.csv"]


def test_an_interrupted_write_keeps_the_old_file_whole(tmp_path):
    target = tmp_path / "table.h"
    target.write_bytes(b"old complete table\n")
    with pytest.raises(KeyboardInterrupt), atomic_writer(target) as stream:
        stream.write(b"half a new ta")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old complete table\n"
    assert sorted(os.listdir(tmp_path)) == ["table.h"]


def test_a_failed_first_write_creates_nothing(tmp_path):
    target = tmp_path / "figure.png"
    with pytest.raises(RuntimeError), atomic_writer(target) as stream:
        stream.write(b"\x89PNG")
        raise RuntimeError("encoder failed")
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_usage_error_naming_it(tmp_path):
    with pytest.raises(UsageError, match="no/such"):
        atomic_write(tmp_path / "no" / "such" / "file.csv", b"")


def test_new_files_get_the_usual_permissions_and_replacements_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.csv"
        atomic_write(fresh, b"1\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # 0666 & ~umask, as open() gives
        kept = tmp_path / "kept.csv"
        kept.write_bytes(b"0\n")
        kept.chmod(0o600)
        atomic_write(kept, b"1\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    finally:
        os.umask(umask)
