"""``auxledger serve`` leaves no orphans (issue 17, "Why" 2; "What to build" 2).

A real ``serve --workers 2`` in its own session; the test kills its parent with SIGKILL (as
the fault-injection run did) and watches the workers and the shared temporary folder. Run
with ``TMPDIR`` set to the test's own folder, so only this server's folders are looked at.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from api.verbs.serve import port_in_use
from tests.api.conftest import World, world  # noqa: F401 - the fixture
from tests.api.test_serve import _env
from tests.serving import AUXLEDGER, start_serve, wait_ready


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_serve_leaves_no_orphans_and_refuses_a_port_in_use(
    world: World,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    stale = tmp / "auxledger-metrics-4194305-dead"  # above Linux's pid_max: never alive
    stale.mkdir()
    (stale / "connections").write_bytes(b"\0" * 16)
    env = {**_env(world.settings), "TMPDIR": str(tmp)}
    served = start_serve(env, tmp_path / "serve.log", args=["--workers", "2"])
    server, port = served.process, served.port
    workers: set[int] = set()
    try:
        wait_ready(served)
        assert not stale.exists(), "the folder of a dead serve was not removed at start"
        assert len(list(tmp.glob("auxledger-metrics-*"))) == 1
        deadline = time.monotonic() + 20
        while len(workers := _children(server.pid)) < 2:
            assert time.monotonic() < deadline, "the workers did not show"
            time.sleep(0.2)

        # A second serve on the same port: one line, exit 2, nothing started or left.
        second = subprocess.run(
            [AUXLEDGER, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert f"port {port}" in lines[0] and "in use" in lines[0]
        assert "Traceback" not in second.stderr
        assert len(list(tmp.glob("auxledger-metrics-*"))) == 1

        # kill -9 of the serving process: its workers end within a few seconds.
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 8
        while left := {pid for pid in workers if _alive(pid)}:
            assert time.monotonic() < deadline, f"orphaned workers still running: {left}"
            time.sleep(0.2)
        # ... the port is free again, and the shared folder is gone.
        deadline = time.monotonic() + 5
        while list(tmp.glob("auxledger-metrics-*")):
            assert time.monotonic() < deadline, "the metrics folder was left behind"
            time.sleep(0.2)
        assert port_in_use("127.0.0.1", port) is None, "something still listens on the port"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_only_the_folders_of_dead_servers_are_removed(tmp_path: Path) -> None:
    from api.metrics import LEGACY_AGE, remove_stale_dirs  # noqa: PLC0415

    mine = tmp_path / f"auxledger-metrics-{os.getpid()}-live"
    dead = tmp_path / "auxledger-metrics-4194305-dead"
    fresh_legacy = tmp_path / "auxledger-metrics-k3j4h5g6"
    old_legacy = tmp_path / "auxledger-metrics-a1b2c3d4"
    other = tmp_path / "someone-else-4194305-x"
    for folder in (mine, dead, fresh_legacy, old_legacy, other):
        folder.mkdir()
    long_ago = time.time() - LEGACY_AGE - 60
    os.utime(old_legacy, (long_ago, long_ago))
    assert sorted(remove_stale_dirs(tmp_path)) == sorted([dead, old_legacy])
    assert mine.exists() and fresh_legacy.exists() and other.exists()
