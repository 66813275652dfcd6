"""Witness processes for tests: real ``auxledger witness serve`` subprocesses on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.serving import free_port

AUXLEDGER = str(Path(sys.executable).parent / "auxledger")


def keygen(folder: Path, name: str) -> tuple[Path, str]:
    """A new witness key file in ``folder``; returns (key file, vkey)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / f"{name.replace('/', '_')}.key"
    done = subprocess.run(
        [AUXLEDGER, "witness", "keygen", "--name", name, "--out", str(key)],
        capture_output=True,
        text=True,
        check=True,
    )
    return key, done.stdout.strip()


@dataclass
class WitnessProcess:
    """One running witness: its vkey, URL, state folder and process."""

    name: str
    key: Path
    vkey: str
    log_vkeys: list[str]
    state: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def evidence(self) -> str:
        """What the witness has logged as evidence against the log ("" while nothing)."""
        path = self.state / "evidence.log"
        return path.read_text() if path.exists() else ""

    def start(self) -> WitnessProcess:
        args = [AUXLEDGER, "witness", "serve", "--key", str(self.key), "--state", str(self.state)]
        for vkey in self.log_vkeys:
            args += ["--log-vkey", vkey]
        args += ["--port", str(self.port)]
        log = (self.state.parent / f"{self.state.name}.out").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            assert self.process.poll() is None, "the witness exited at start"
            assert time.monotonic() < deadline, "the witness did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: a crash, no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def post(self, body: bytes) -> tuple[int, str, str]:
        """POST add-checkpoint: (status, content type, body)."""
        request = urllib.request.Request(self.url + "/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers["Content-Type"], answer.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers["Content-Type"], e.read().decode()


def start_witness(folder: Path, name: str, log_vkeys: list[str]) -> WitnessProcess:
    """Generate a key and start a witness for the log with these vkeys."""
    key, vkey = keygen(folder / "keys", name)
    state = folder / name.replace("/", "_")
    return WitnessProcess(name, key, vkey, log_vkeys, state, free_port()).start()


def wait_for(predicate: object, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until ``predicate()`` is true."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
