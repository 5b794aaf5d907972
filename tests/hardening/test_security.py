"""The store stays private and refuses what was planted in it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bgview.runtime import BgviewError, Runtime
from tests.conftest import RunCli


def test_everything_in_the_store_is_private(rt: Runtime, home: Path) -> None:
    job = rt.start("echo secret-token")
    rt.wait(job.id, timeout=10)
    rt.read(job.id)  # creates a cursor
    rt.read(job.id, consumer="viewer")
    rt.notices()  # creates a notices offset
    rt.kill(rt.start("sleep 30").id, grace=0)
    seen = 0
    for root, dirs, files in os.walk(home):
        for name in dirs:
            mode = stat.S_IMODE(os.lstat(Path(root) / name).st_mode)
            assert mode == 0o700, (Path(root) / name, oct(mode))
        for name in files:
            st = os.lstat(Path(root) / name)
            assert not stat.S_ISLNK(st.st_mode)
            assert stat.S_IMODE(st.st_mode) == 0o600, (Path(root) / name, oct(st.st_mode))
            seen += 1
    assert seen >= 10  # records, logs, FIFOs, locks, cursors, notices


def test_a_store_open_to_others_is_refused(rt: Runtime, home: Path, cli: RunCli) -> None:
    rt.start("true")
    os.chmod(home, 0o777)
    try:
        result = cli("list")
    finally:
        os.chmod(home, 0o700)
    assert result.returncode == 2
    assert "writable by group or others" in result.stderr and "chmod 700" in result.stderr


def test_a_job_directory_open_to_others_is_not_read(rt: Runtime, cli: RunCli) -> None:
    job = rt.start("echo hi")
    rt.wait(job.id, timeout=10)
    os.chmod(job.dir, 0o777)
    assert cli("list", "--json").stdout.strip() == "[]"
    result = cli("output", job.id)
    assert result.returncode == 2 and "writable by group or others" in result.stderr


def test_a_planted_job_symlink_is_refused(rt: Runtime, tmp_path: Path, cli: RunCli) -> None:
    real = rt.start("echo mine")
    rt.wait(real.id, timeout=10)
    elsewhere = tmp_path / "elsewhere"
    os.rename(real.dir, elsewhere)
    os.symlink(elsewhere, real.dir)
    result = cli("output", real.id)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert cli("list", "--json").stdout.strip() == "[]"


def test_a_planted_log_symlink_is_not_followed(rt: Runtime, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("do not show me\n")
    job = rt.start("echo mine")
    rt.wait(job.id, timeout=10)
    os.unlink(job.log_path)
    os.symlink(secret, job.log_path)
    with pytest.raises(BgviewError, match="symbolic link"):
        rt.peek(job.id)
    with pytest.raises(BgviewError, match="symbolic link"):
        rt.read(job.id)


def test_a_planted_record_symlink_is_not_followed(rt: Runtime, tmp_path: Path) -> None:
    job = rt.start("echo mine")
    rt.wait(job.id, timeout=10)
    fake = tmp_path / "result.json"
    fake.write_text((job.dir / "result.json").read_text().replace("echo mine", "echo forged"))
    os.unlink(job.dir / "result.json")
    os.symlink(fake, job.dir / "result.json")
    assert [j.command for j in rt.jobs()] == []
