"""What killed test runs leave behind is cleaned up; what live runs use is never touched.

The oracle reads the server's catalog and the file system directly and writes owner
stamps by hand (JSON, /proc), so it shares no code with the cleaner it checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from mgm_core.testing.leftovers import clean_all
from mgm_core.testing.postgres import embedded_test_server

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EXTERNAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"

INNER_TESTS = textwrap.dedent(
    """
    import asyncio
    import json
    import os
    import pathlib
    import time

    import asyncpg
    import pytest


    @pytest.mark.parametrize("n", range(4))
    def test_holds_its_database(n, database_url, pg_test_databases):
        async def data_directory():
            conn = await asyncpg.connect(database_url)
            try:
                return await conn.fetchval("SHOW data_directory")
            finally:
                await conn.close()

        records = pathlib.Path(os.environ["RECORD_DIR"])
        record = {
            "pid": os.getpid(),
            "prefix": pg_test_databases.prefix,
            "data_directory": asyncio.run(data_directory()),
        }
        scratch = records / f".{os.getpid()}.tmp"
        scratch.write_text(json.dumps(record))
        scratch.rename(records / f"{os.getpid()}.json")
        deadline = time.monotonic() + 120
        while not (records / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    """
)


# --------------------------------------------------------------------------- oracle helpers


def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def databases_starting(dsn: str, prefix: str) -> list[str]:
    rows = _fetch(dsn, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
    return sorted(r["datname"] for r in rows)


def this_machine() -> str:
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return f"{boot}:{os.stat('/proc/self/ns/pid').st_ino}"


def started_at(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[19])


def stamp(pid: int, start: int | None, machine: str, created: float | None = None) -> str:
    return json.dumps(
        {
            "kind": "mgm-test",
            "pid": pid,
            "start": start,
            "machine": machine,
            "host": "somewhere",
            "created": time.time() if created is None else created,
        }
    )


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def external_dsn() -> str:
    dsn = os.environ.get("MGM_TEST_DATABASE_URL", "").strip() or DEFAULT_EXTERNAL_DSN
    try:
        _fetch(dsn, "SELECT 1")
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no external PostgreSQL at {dsn}: {exc}")
    return dsn


@pytest.fixture(scope="module")
def private_server() -> Iterator[str]:
    """A server of this module's own, used as an external one (by DSN).

    Databases of dead runs on a shared server are fair game for every cleaner, including
    those of concurrent test sessions; on this one only our tests clean.
    """
    with embedded_test_server() as server:
        yield server.dsn


@pytest.fixture
def prefix() -> str:
    """A database-name prefix no one else uses, matching the fixtures' naming."""
    return f"mgm_lo_{os.getpid()}_{secrets.token_hex(3)}_"


@pytest.fixture
def make_database(private_server: str, prefix: str) -> Iterator[Callable[[str, str | None], str]]:
    made: list[str] = []

    def make(suffix: str, comment: str | None) -> str:
        name = prefix + suffix
        statements = [f'CREATE DATABASE "{name}"']
        if comment is not None:
            statements.append(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")
        made.append(name)
        for statement in statements:
            _fetch(private_server, statement)
        return name

    yield make
    for name in made:
        _fetch(private_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- real runs


class Run:
    """A ``pytest -n 2`` run of INNER_TESTS in its own session, each test holding its database."""

    def __init__(self, folder: Path, scratch: Path, external: str | None, isolation: str = "auto") -> None:
        self.records = folder / "records"
        self.records.mkdir(parents=True)
        (folder / "test_inner.py").write_text(INNER_TESTS)
        env = {
            **os.environ,
            "RECORD_DIR": str(self.records),
            "MGM_TEST_SCRATCH_DIR": str(scratch),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        env.pop("PYTEST_XDIST_WORKER", None)
        env.pop("MGM_TEST_DATABASE_URL", None)
        if external:
            env["MGM_TEST_DATABASE_URL"] = external
        env["MGM_TEST_DB_ISOLATION"] = isolation
        command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "xdist.plugin"]
        command += ["-p", "mgm_core.testing.postgres", "-p", "no:cacheprovider", "test_inner.py"]
        self.proc = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def wait_for_workers(self) -> list[dict[str, object]]:
        """The records of both workers, once each holds a database."""
        deadline = time.monotonic() + 180
        while True:
            found = [json.loads(p.read_text()) for p in self.records.glob("*.json")]
            if len({r["pid"] for r in found}) >= 2:
                return found
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                out = self.proc.stdout.read() if self.proc.stdout else ""
                pytest.fail(f"the inner run never had two workers holding databases:\n{out}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole run (controller and workers), as a CI timeout or OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def finish(self) -> str:
        (self.records / "go").touch()
        out, _ = self.proc.communicate(timeout=180)
        return out


def wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 30
    while not all(gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"processes {pids} outlived SIGKILL"
        time.sleep(0.02)


def clusters_in(scratch: Path) -> list[Path]:
    return sorted(p for p in scratch.iterdir() if p.name.startswith("mgm-pg-"))


def run_next(folder: Path, scratch: Path, external: str | None) -> str:
    """Another run on the same scratch dir and server; it cleans up at its start."""
    follow_up = Run(folder, scratch, external)
    out = follow_up.finish()
    assert follow_up.proc.returncode == 0, out
    return out


def test_the_next_run_removes_the_clusters_of_a_killed_run(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    killed = Run(tmp_path / "killed", scratch, external=None)
    records = killed.wait_for_workers()
    killed.kill()
    wait_gone([int(r["pid"]) for r in records])
    dead_clusters = sorted({Path(str(r["data_directory"])).parent for r in records})
    assert len(dead_clusters) == 2 and all(c.parent == scratch for c in dead_clusters)
    assert clusters_in(scratch) == dead_clusters, "the killed run left its clusters behind"

    run_next(tmp_path / "next", scratch, external=None)
    assert clusters_in(scratch) == [], "the next run removed the dead clusters (and its own)"


@pytest.mark.parametrize("isolation", ["clone", "reset"])
def test_the_next_run_drops_the_databases_of_a_killed_run(
    tmp_path: Path, private_server: str, isolation: str
) -> None:
    external_dsn = private_server
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # With "reset" the killed run's databases were reused, test after test, not fresh clones.
    killed = Run(tmp_path / "killed", scratch, external=external_dsn, isolation=isolation)
    records = killed.wait_for_workers()
    killed.kill()
    wait_gone([int(r["pid"]) for r in records])
    prefixes = sorted({str(r["prefix"]) for r in records})
    left = [name for p in prefixes for name in databases_starting(external_dsn, p)]
    assert {p + "_tmpl" for p in prefixes} <= set(left), "the killed run left its databases behind"

    run_next(tmp_path / "next", scratch, external=external_dsn)
    assert [name for p in prefixes for name in databases_starting(external_dsn, p)] == []


def test_mgm_clean_removes_what_a_killed_run_left(tmp_path: Path, private_server: str) -> None:
    external_dsn = private_server
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    killed = Run(tmp_path / "killed", scratch, external=external_dsn)
    records = killed.wait_for_workers()
    killed.kill()
    wait_gone([int(r["pid"]) for r in records])
    prefixes = sorted({str(r["prefix"]) for r in records})
    left = sorted(name for p in prefixes for name in databases_starting(external_dsn, p))
    assert left

    env = {**os.environ, "MGM_TEST_SCRATCH_DIR": str(scratch)}
    command = [sys.executable, "-m", "mgm_core.cli", "clean", "--database-url", external_dsn]
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    for name in left:
        assert f"would remove database {name} on socket:" in dry.stdout
    assert sorted(name for p in prefixes for name in databases_starting(external_dsn, p)) == left

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if any(p in line for p in prefixes)]
    assert sorted(line.split()[2] for line in lines) == left, done.stdout
    assert all(line.startswith("removed database ") for line in lines)
    assert [name for p in prefixes for name in databases_starting(external_dsn, p)] == []


@pytest.mark.parametrize("server", ["embedded", "external"])
def test_a_live_run_keeps_its_databases_and_clusters(
    tmp_path: Path, server: str, request: pytest.FixtureRequest
) -> None:
    external = request.getfixturevalue("external_dsn") if server == "external" else None
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    live = Run(tmp_path / "live", scratch, external=external)
    try:
        records = live.wait_for_workers()
        before_clusters = clusters_in(scratch)
        prefixes = sorted({str(r["prefix"]) for r in records})
        env = {**os.environ, "MGM_TEST_SCRATCH_DIR": str(scratch)}
        env.pop("MGM_TEST_DATABASE_URL", None)
        env.pop("MGM_DATABASE_URL", None)
        command = [sys.executable, "-m", "mgm_core.cli", "clean"]
        if external:
            command += ["--database-url", external]
            before = {p: databases_starting(external, p) for p in prefixes}
            assert all(before.values())
        cleaned = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert cleaned.returncode == 0, cleaned.stderr
        assert not any(p in cleaned.stdout for p in prefixes), cleaned.stdout
        assert str(scratch) not in cleaned.stdout
        assert clusters_in(scratch) == before_clusters
        if external:
            after = {p: databases_starting(external, p) for p in prefixes}
            # The live run only adds clones (made ahead) while we look.
            assert all(set(before[p]) <= set(after[p]) for p in prefixes), (before, after)
    finally:
        out = live.finish()
    assert live.proc.returncode == 0, f"the live run was disturbed:\n{out}"
    assert "4 passed" in out


# --------------------------------------------------------------------------- judging owners


def test_a_reused_pid_does_not_keep_a_dead_run_s_database(
    private_server: str, prefix: str, make_database: Callable[[str, str | None], str]
) -> None:
    me = os.getpid()
    # Same pid as a live process (us), another start time: the owner died and the pid was reused.
    reused = make_database("reused", stamp(me, started_at(me) - 1, this_machine()))
    mine = make_database("mine", stamp(me, started_at(me), this_machine()))
    dead = make_database("dead", stamp(a_dead_pid(), 1, this_machine()))
    result = clean_all([private_server], clusters=False, prefix=prefix)
    assert sorted(i.name for i in result.removed) == sorted([reused, dead])
    assert databases_starting(private_server, prefix) == [mine]


def test_another_machine_s_databases_are_judged_by_age(
    private_server: str, prefix: str, make_database: Callable[[str, str | None], str]
) -> None:
    elsewhere = make_database("elsewhere", stamp(a_dead_pid(), 1, "another-boot:1", time.time() - 3600))
    result = clean_all([private_server], clusters=False, prefix=prefix)
    assert result.removed == [], "an hour-old database of another machine may belong to a live run"
    assert databases_starting(private_server, prefix) == [elsewhere]
    result = clean_all([private_server], clusters=False, prefix=prefix, max_age=0.001)
    assert [i.name for i in result.removed] == [elsewhere]
    assert databases_starting(private_server, prefix) == []


def test_unstamped_databases_go_only_by_age_and_only_with_a_test_name(
    private_server: str, prefix: str, make_database: Callable[[str, str | None], str]
) -> None:
    # Named as the fixtures name (mgm_<worker>_<pid>_<hex>_<n>) but made before stamps existed.
    legacy = make_database("7", None)
    foreign = make_database("kept-by-someone", "a comment of someone else")
    assert clean_all([private_server], clusters=False, prefix=prefix).removed == []
    result = clean_all([private_server], clusters=False, prefix=prefix, max_age=0.001)
    assert [i.name for i in result.removed] == [legacy]
    assert databases_starting(private_server, prefix) == [foreign]


def test_the_cleaner_only_takes_mgm_prefixes(private_server: str) -> None:
    with pytest.raises(ValueError, match="mgm_"):
        clean_all([private_server], prefix="")


def make_cluster_dir(scratch: Path, name: str, owner: str | None, lock_pid: int | None) -> Path:
    folder = scratch / f"mgm-pg-{name}"
    (folder / "pg18").mkdir(parents=True)
    (folder / "pg18" / "PG_VERSION").write_text("18\n")
    if owner is not None:
        (folder / "owner.json").write_text(owner)
    if lock_pid is not None:
        (folder / "pg18.lock").write_text(f"{lock_pid}\n")
    return folder


def test_clusters_are_judged_by_owner_and_lock(tmp_path: Path) -> None:
    me = os.getpid()
    live = make_cluster_dir(tmp_path, "live", stamp(me, started_at(me), this_machine()), me)
    dead = make_cluster_dir(tmp_path, "dead", stamp(a_dead_pid(), 1, this_machine()), None)
    reused = make_cluster_dir(tmp_path, "reused", stamp(me, started_at(me) - 1, this_machine()), None)
    # Unstamped (made before stamps): its lock file decides.
    held = make_cluster_dir(tmp_path, "held", None, a_dead_pid())
    unheld = make_cluster_dir(tmp_path, "unheld", None, a_dead_pid())
    running = make_cluster_dir(tmp_path, "running", None, me)
    fresh = make_cluster_dir(tmp_path, "fresh", None, None)
    (tmp_path / "mgm-pg-not-a-dir").write_text("")
    other = tmp_path / "something-else"
    other.mkdir()
    with (held / "pg18.lock").open("r") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        dry = clean_all(scratch_dirs=[tmp_path], dry_run=True)
        assert sorted(Path(i.name) for i in dry.removed) == sorted([dead, reused, unheld])
        assert all(p.exists() for p in (dead, reused, unheld)), "a dry run removes nothing"
        result = clean_all(scratch_dirs=[tmp_path])
        assert sorted(Path(i.name) for i in result.removed) == sorted([dead, reused, unheld])
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            p.name for p in (live, held, running, fresh, tmp_path / "mgm-pg-not-a-dir", other)
        )
        # One never started (no lock file) goes only by age.
        aged = clean_all(scratch_dirs=[tmp_path], max_age=0.001)
        assert [Path(i.name) for i in aged.removed] == [fresh]
        assert held.exists() and live.exists() and running.exists()
    # Its lock released and its pid gone, the unstamped cluster is a leftover too.
    assert [Path(i.name) for i in clean_all(scratch_dirs=[tmp_path]).removed] == [held]


def test_a_database_made_after_its_run_died_goes_by_the_run_s_registration(
    private_server: str, make_database: Callable[[str, str | None], str]
) -> None:
    # A CREATE DATABASE the server finished after its client was killed never got its comment.
    run = f"mgm_gw9_{a_dead_pid()}_{secrets.token_hex(3)}"
    registry = Path(tempfile.gettempdir()) / "mgm-test-owners"
    registry.mkdir(exist_ok=True)
    query = parse_qs(urlsplit(private_server).query)
    label = f"socket:{query['port'][0]}?host={query['host'][0]}"
    record = json.loads(stamp(int(run.split("_")[2]), 1, this_machine())) | {"server": label}
    (registry / f"{run}.json").write_text(json.dumps(record))
    name = run + "_4"
    _fetch(private_server, f'CREATE DATABASE "{name}"')
    try:
        assert databases_starting(private_server, run) == [name]
        result = clean_all([private_server], clusters=False, prefix=run)
        assert [i.name for i in result.removed] == [name]
        assert databases_starting(private_server, run) == []
        assert not (registry / f"{run}.json").exists(), (
            "the dead run's registration goes with its last database"
        )
    finally:
        _fetch(private_server, f'DROP DATABASE IF EXISTS "{name}"')
        (registry / f"{run}.json").unlink(missing_ok=True)


def test_a_shifted_process_clock_does_not_age_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI runs the suite under faketime: ten years ahead, every mtime looks ancient to time.time().
    fresh = make_cluster_dir(tmp_path, "fresh", None, None)
    shifted = time.time() + 10 * 365 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: shifted)
    assert clean_all(scratch_dirs=[tmp_path]).removed == []
    assert fresh.exists()
